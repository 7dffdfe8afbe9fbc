"""Fuzz the running bridge over UDP: random and mutated datagrams, and well-signed requests
with hostile content, with valid logins interleaved.

    .venv/bin/python -m bench.radius_fuzz --packets 1000000          # own database and bridge
    .venv/bin/python -m bench.radius_fuzz --port 1812 --secret S ...  # a bridge already running

Three streams, each from its own socket so every reply is attributed:

* **invalid** — random bytes, and valid packets with a byte flipped, cut short, a length
  field or an attribute length changed, the authenticator or Message-Authenticator broken;
  to both ports. Any reply here is a failure (a server must drop what it cannot verify).
* **hostile** — correctly signed Access- and Accounting-Requests whose every text attribute
  (User-Name, Calling- / Called-Station-Id, NAS-Port-Id, Acct-Session-Id, Class,
  NAS-Identifier, State…) holds random bytes, NUL and invalid UTF-8, with random integers,
  status types, vendor attributes and repeated attributes. They may be answered or dropped;
  the server must neither crash nor fail a neighbour.
* **probe** — after every ``--probe-every`` packets, a valid PAP login for a good account,
  waited for: valid traffic must still be answered, correctly signed.

The run fails (exit 1) on any reply to an invalid packet, any unanswered probe, a bridge
that died, or a ``handler_error`` in its metrics.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TEXT_ATTRS = (1, 11, 18, 22, 24, 25, 30, 31, 32, 33, 34, 35, 44, 50, 60, 77, 87, 88)
INT_ATTRS = (5, 6, 7, 27, 28, 40, 41, 42, 43, 45, 46, 47, 48, 49, 51, 52, 53, 55, 61, 85)
HOSTILE_BYTES = (b"\x00", b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80")


def _attr(t: int, value: bytes) -> bytes:
    return bytes((t, len(value) + 2)) + value


def hostile_text(rng: random.Random) -> bytes:
    """Random bytes with NUL and invalid UTF-8 sequences mixed in (1..120 octets)."""
    parts = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.5:
            parts.append(rng.choice(HOSTILE_BYTES))
        else:
            parts.append(rng.randbytes(rng.randint(0, 20)))
    value = b"".join(parts)[:120]
    return value or b"\x00"


def _hostile_attrs(rng: random.Random, user: bytes | None) -> list[bytes]:
    attrs = []
    if user is not None:
        attrs.append(_attr(1, user))
    for t in rng.sample(TEXT_ATTRS, rng.randint(2, len(TEXT_ATTRS))):
        for _ in range(rng.choice((1, 1, 1, 2))):
            attrs.append(_attr(t, hostile_text(rng)))
    for t in rng.sample(INT_ATTRS, rng.randint(1, 8)):
        attrs.append(_attr(t, rng.getrandbits(32).to_bytes(4, "big")))
    if rng.random() < 0.3:  # a vendor attribute, well- or ill-formed inside
        attrs.append(
            _attr(26, rng.getrandbits(32).to_bytes(4, "big") + rng.randbytes(rng.randint(0, 30)))
        )
    if rng.random() < 0.2:  # an integer attribute of the wrong size
        attrs.append(_attr(rng.choice(INT_ATTRS), rng.randbytes(rng.choice((0, 1, 3, 5, 8)))))
    rng.shuffle(attrs)
    return attrs


def _fit(attrs: list[bytes], room: int = 4000) -> bytes:
    out, size = [], 0
    for a in attrs:
        if size + len(a) > room:
            break
        out.append(a)
        size += len(a)
    return b"".join(out)


def access_request(secret: bytes, attrs: bytes, ident: int, authenticator: bytes) -> bytes:
    """Signed with Message-Authenticator (first), RFC 3579."""
    body = b"\x50\x12" + bytes(16) + attrs
    head = bytes((1, ident)) + (20 + len(body)).to_bytes(2, "big")
    packet = head + authenticator + body
    mac = hmac.new(secret, packet, hashlib.md5).digest()
    return packet[:22] + mac + packet[38:]


def accounting_request(secret: bytes, attrs: bytes, ident: int) -> bytes:
    head = bytes((4, ident)) + (20 + len(attrs)).to_bytes(2, "big")
    auth = hashlib.md5(head + bytes(16) + attrs + secret).digest()
    return head + auth + attrs


def pap(secret: bytes, user: str, password: str, ident: int) -> tuple[bytes, bytes]:
    authenticator = os.urandom(16)
    padded = password.encode().ljust(16, b"\x00")
    key = hashlib.md5(secret + authenticator).digest()
    hidden = bytes(a ^ b for a, b in zip(padded, key))
    attrs = _attr(1, user.encode()) + _attr(2, hidden)
    return access_request(secret, attrs, ident, authenticator), authenticator


class Fuzzer:
    """Datagrams of the three streams, from a seeded generator (a run can be replayed)."""

    def __init__(self, secret: bytes, seed: int, users: int, acct_kinds=(1, 2, 3, 7, 8, 15),
                 first_user: int = 1):  # fmt: skip
        self.secret = secret
        self.rng = random.Random(seed)
        self.users = users
        self.first_user = first_user
        self.acct_kinds = acct_kinds
        self.valid_pool = [self._valid_auth(), self._valid_acct()]

    def _user(self) -> bytes:
        rng = self.rng
        if rng.random() < 0.5:
            n = self.first_user + rng.randrange(self.users)
            name = f"user{n}".encode()
            if rng.random() < 0.5:  # a real name with hostile bytes around it
                name = rng.choice((name + hostile_text(rng), hostile_text(rng) + name))
            return name[:120]
        return hostile_text(rng)

    def _valid_auth(self) -> bytes:
        rng = self.rng
        return access_request(
            self.secret, _fit(_hostile_attrs(rng, self._user())), rng.randrange(256),
            rng.randbytes(16),
        )  # fmt: skip

    def _valid_acct(self) -> bytes:
        rng = self.rng
        attrs = _hostile_attrs(rng, self._user())
        attrs.insert(0, _attr(40, rng.choice(self.acct_kinds).to_bytes(4, "big")))
        if rng.random() < 0.9:
            attrs.insert(1, _attr(44, hostile_text(rng)))
        return accounting_request(self.secret, _fit(attrs), rng.randrange(256))

    def hostile(self) -> tuple[bytes, str]:
        """A correctly signed request with hostile content, and its port kind."""
        if self.rng.random() < 0.5:
            return self._valid_auth(), "auth"
        return self._valid_acct(), "acct"

    def invalid(self) -> tuple[bytes, str]:
        """A datagram no server may answer, and the port kind to send it to."""
        rng = self.rng
        kind = rng.random()
        port = rng.choice(("auth", "acct"))
        if kind < 0.15:
            return rng.randbytes(rng.randint(0, 600)), port
        if kind < 0.25:  # a plausible header, random body
            body = rng.randbytes(rng.randint(0, 300))
            code = rng.choice((1, 4, 12, 2, 5, 40))
            return bytes((code, rng.randrange(256))) + (20 + len(body)).to_bytes(
                2, "big"
            ) + rng.randbytes(16) + body, port
        base = self._valid_auth() if rng.random() < 0.5 else self._valid_acct()
        port = "auth" if base[0] == 1 else "acct"
        data = bytearray(base)
        how = rng.randrange(6)
        if how == 0:  # flip bits after the code (the signatures cover every octet)
            for _ in range(rng.randint(1, 4)):
                pos = rng.randrange(1, len(data))
                data[pos] ^= 1 << rng.randrange(8)
        elif how == 1:  # cut short
            data = data[: rng.randrange(0, len(data))]
        elif how == 2:  # a wrong length field
            data[2:4] = rng.choice((0, 19, len(data) + 1, 4097, rng.randrange(65536))).to_bytes(
                2, "big"
            )
        elif how == 3:  # an attribute length changed
            if len(data) > 21:
                data[20 + 1] = rng.choice((0, 1, 255, (data[21] + 1) % 256))
            else:
                data += b"\x01\x00"
        elif how == 4:  # the authenticator broken
            data[4 + rng.randrange(16)] ^= 0xFF
        else:  # the Message-Authenticator (auth) / an attribute byte (acct) broken
            data[rng.randrange(22, len(data))] ^= 0xFF
        if bytes(data) == base:  # a "mutation" that changed nothing (a length set to itself)
            data[4] ^= 0xFF
        return bytes(data), port


def run(host: str, auth_port: int, acct_port: int, secret: str, packets: int, seed: int = 1,
        users: int = 1000, probe_every: int = 500, good_user: int = 1,
        acct_kinds=(1, 2, 3, 7, 8, 15), progress: bool = False, first_user: int = 1) -> dict:  # fmt: skip
    """Send ``packets`` datagrams (half invalid, half hostile) with probes; the counts.
    Hostile requests name accounts ``user<first_user>``…``user<first_user + users - 1>``."""
    secret_b = secret.encode()
    fuzz = Fuzzer(secret_b, seed, users, acct_kinds, first_user)
    ports = {"auth": (host, auth_port), "acct": (host, acct_port)}
    socks = {}
    for name in ("invalid", "hostile", "probe"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((host, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setblocking(False)
        socks[name] = s
    counts = {"sent": 0, "invalid": 0, "hostile": 0, "probes": 0, "probes_answered": 0,
              "invalid_answered": 0, "hostile_answered": 0, "probe_bad": 0}  # fmt: skip
    started = time.monotonic()
    try:
        while counts["sent"] < packets:
            for _ in range(min(probe_every, packets - counts["sent"])):
                if fuzz.rng.random() < 0.5:
                    data, port = fuzz.invalid()
                    stream = "invalid"
                else:
                    data, port = fuzz.hostile()
                    stream = "hostile"
                try:
                    socks[stream].sendto(data, ports[port])
                except BlockingIOError:
                    time.sleep(0.001)
                    continue
                except OSError:  # e.g. an empty datagram refused by the kernel: not sent
                    continue
                counts[stream] += 1
                counts["sent"] += 1
            _drain(socks, counts)
            counts["probes"] += 1
            ok = _probe(socks["probe"], ports["auth"], secret_b, good_user)
            counts["probes_answered"] += ok is not None
            counts["probe_bad"] += ok is False
            if progress and counts["probes"] % 100 == 0:
                rate = counts["sent"] / (time.monotonic() - started)
                print(f"{counts['sent']} sent, {rate:.0f}/s, {counts}", file=sys.stderr, flush=True)
        time.sleep(1.0)
        _drain(socks, counts)
    finally:
        for s in socks.values():
            s.close()
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def _drain(socks, counts) -> None:
    for name in ("invalid", "hostile"):
        while True:
            try:
                socks[name].recv(4096)
            except BlockingIOError:
                break
            counts[f"{name}_answered"] += 1


def _probe(sock, addr, secret: bytes, user: int, timeout: float = 3.0):
    """A valid PAP login; True when accepted and correctly signed, False when answered
    wrongly, None when unanswered."""
    ident = random.randrange(256)
    data, authenticator = pap(secret, f"user{user}", f"pass{user}", ident)
    sock.sendto(data, addr)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            reply = sock.recv(4096)
        except BlockingIOError:
            time.sleep(0.0005)
            continue
        if reply[1] != ident:
            continue
        expected = hashlib.md5(reply[:4] + authenticator + reply[20:] + secret).digest()
        return reply[0] == 2 and hmac.compare_digest(expected, reply[4:20])
    return None


def _metrics(port: int) -> dict:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--probe-every", type=int, default=500)
    ap.add_argument("--accounts", type=int, default=10_000, help="accounts seeded (own database)")
    ap.add_argument("--port", type=int, default=0, help="a running bridge's auth port (acct = +1)")
    ap.add_argument("--secret", default="fuzzsecret")
    ap.add_argument("--metrics-port", type=int, default=0)
    ap.add_argument("--pg", default=os.environ.get("ZM_BENCH_PG", "postgresql://zm@127.0.0.1:5432"))
    ap.add_argument("--json", help="write the result here")
    args = ap.parse_args(argv)
    # SIGTERM (or a background job's ignored SIGINT) still stops our bridge and drops the db.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    srv = work = db_name = None
    if args.port:
        auth, acct, metrics_port = args.port, args.port + 1, args.metrics_port
    else:
        from bench import benchdb, servers

        db_name = f"zm_bench_fuzz_{os.getpid()}"
        work = Path(tempfile.mkdtemp(prefix="zm_fuzz_"))
        benchdb.create(args.pg, db_name)
        dsn = benchdb.dsn_for(args.pg, db_name)
        benchdb.seed_with_bridge(dsn, args.accounts, args.secret)
        auth, acct, metrics_port = 21942, 21943, 21944
        srv = servers.bridge(work, dsn, auth, acct)
        conf = work / "bridge.toml"
        conf.write_text(conf.read_text() + f"[metrics]\nport = {metrics_port}\n")
        srv.start()
        srv.wait_ready(args.secret, args.accounts)
    try:
        before = _metrics(metrics_port) if metrics_port else {}
        counts = run("127.0.0.1", auth, acct, args.secret, args.packets, args.seed,
                     users=args.accounts, probe_every=args.probe_every, progress=True)  # fmt: skip
        after = _metrics(metrics_port) if metrics_port else {}
        alive = srv is None or srv.proc.poll() is None
    finally:
        if srv is not None:
            srv.stop()
            from bench import benchdb

            benchdb.drop(args.pg, db_name)
    handler_errors = after.get('radius_bridge_dropped_total{kind="handler_error"}', 0) - before.get(
        'radius_bridge_dropped_total{kind="handler_error"}', 0
    )
    result = {
        **counts,
        "bridge_alive": alive,
        "handler_errors": handler_errors,
        "requests_seen": after.get('radius_bridge_requests_total{kind="auth"}', 0)
        + after.get('radius_bridge_requests_total{kind="acct"}', 0),
        "drops": {k: v for k, v in after.items() if k.startswith("radius_bridge_dropped_total")},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    failed = (
        counts["invalid_answered"]
        or counts["probes_answered"] != counts["probes"]
        or counts["probe_bad"]
        or not alive
        or handler_errors
    )
    print("FAIL" if failed else "OK: 0 replies to invalid packets, every probe answered")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
