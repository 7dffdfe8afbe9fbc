"""A trivial RADIUS responder: the ceiling a generator can reach with no server work.

``python -m bench.radload.echo --port 21990`` answers every Access-Request with
an Access-Accept and every Accounting-Request with an Accounting-Response,
signed with the shared secret; it checks nothing else. Run radload against it to
see whether the generator, not the server, limits a measurement.
"""

import argparse
import asyncio
import hmac

from . import packets as p

_ACCEPT_MA = b"\x50\x12" + bytes(16)


def decide(request: bytes) -> int | None:
    """Default policy: accept every access request, acknowledge every accounting one."""
    return p.ACCESS_ACCEPT if request[0] == p.ACCESS_REQUEST else p.ACCOUNTING_RESPONSE


class Responder(asyncio.DatagramProtocol):
    """Answers with ``policy(request)`` (a reply code, or None to drop the request)."""

    def __init__(self, secret: bytes, policy=decide, corrupt: bool = False):
        self.secret = secret
        self.policy = policy
        self.corrupt = corrupt
        self.received = 0
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.received += 1
        if len(data) < 20:
            return
        code = self.policy(data)
        if code is None:
            return
        auth = data[4:20]
        # Sign the Message-Authenticator first, then the Response Authenticator (RFC 3579);
        # an Accounting-Response's HMAC covers zeros where the authenticator goes.
        vector = bytes(16) if code == p.ACCOUNTING_RESPONSE else auth
        head = bytes((code, data[1])) + (20 + 18).to_bytes(2, "big")
        mac = hmac.digest(self.secret, head + vector + _ACCEPT_MA, "md5")
        reply = p.sign_reply(code, data[1], auth, b"\x50\x12" + mac, self.secret)
        if self.corrupt:
            reply = reply[:4] + bytes(16) + reply[20:]
        self.transport.sendto(reply, addr)


async def serve(host: str, ports: list, secret: bytes, **kw):
    """Listen on every port in ``ports``; return the (transport, responder) pairs."""
    loop = asyncio.get_running_loop()
    out = []
    for port in ports:
        out.append(
            await loop.create_datagram_endpoint(
                lambda: Responder(secret, **kw), local_addr=(host, port)
            )
        )
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="radload.echo", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, action="append", required=True)
    ap.add_argument("--secret", default="testing123")
    ap.add_argument("--seconds", type=float, default=120.0, help="exit after this long")
    args = ap.parse_args(argv)

    async def run():
        await serve(args.host, args.port, args.secret.encode())
        await asyncio.sleep(args.seconds)

    asyncio.run(run())


if __name__ == "__main__":
    main()
