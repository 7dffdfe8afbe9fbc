"""radload against an in-test UDP responder that checks every request it gets."""

import asyncio
import hashlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyrad.packet import AcctPacket, AuthPacket

from bench.radload import LoadConfig, run_load_async, summarize
from bench.radload import packets as p
from bench.radload.echo import Responder

SECRET = b"s3cret-bench"
REPO = Path(__file__).resolve().parents[2]


class CheckingPolicy:
    """Accept user<i> with pass<i> (reject multiples of 10) after checking the encoding."""

    def __init__(self, drop_every: int = 0):
        self.drop_every = drop_every
        self.seen = 0
        self.errors = []
        self.acct = {}  # Acct-Session-Id -> list of status types

    def __call__(self, data: bytes):
        self.seen += 1
        if self.drop_every and self.seen % self.drop_every == 0:
            return None
        if data[0] == p.ACCOUNTING_REQUEST:
            pkt = AcctPacket(packet=data, secret=SECRET)
            if not pkt.VerifyAcctRequest():
                self.errors.append("accounting request authenticator")
            status = int.from_bytes(pkt[p.ACCT_STATUS_TYPE][0], "big")
            self.acct.setdefault(pkt[p.ACCT_SESSION_ID][0], []).append(status)
            return p.ACCOUNTING_RESPONSE
        pkt = AuthPacket(packet=data, secret=SECRET)
        if not (pkt.message_authenticator and pkt.verify_message_authenticator()):
            self.errors.append("message authenticator")
        user = pkt[p.USER_NAME][0].decode()
        number = int(user.removeprefix("user"))
        password = f"pass{number}".encode()
        if p.USER_PASSWORD in pkt:
            ok = pkt.PwDecrypt(pkt[p.USER_PASSWORD][0]) == password.decode()
        elif p.CHAP_PASSWORD in pkt:
            chap = pkt[p.CHAP_PASSWORD][0]
            challenge = pkt[p.CHAP_CHALLENGE][0]
            ok = chap[1:] == hashlib.md5(chap[:1] + password + challenge).digest()
        else:
            # Without a dictionary pyrad keeps Vendor-Specific raw: vendor, type, length, value.
            ms = {v[4]: v[6:] for v in pkt[p.VENDOR_SPECIFIC] if v[:4] == b"\0\0\x017"}
            response, auth_challenge = ms[p.MS_CHAP2_RESPONSE], ms[p.MS_CHAP_CHALLENGE]
            expect = p.nt_response(auth_challenge, response[2:18], user.encode(), password.decode())
            ok = len(response) == 50 and response[26:50] == expect
        if not ok:
            self.errors.append(f"password of {user}")
        return p.ACCESS_REJECT if number % 10 == 0 or not ok else p.ACCESS_ACCEPT


async def _run(cfg: LoadConfig, policy, corrupt: bool = False):
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: Responder(SECRET, policy=policy, corrupt=corrupt),
        local_addr=("127.0.0.1", cfg.port),
    )
    try:
        return summarize(cfg, [await run_load_async(cfg)])
    finally:
        transport.close()


def _cfg(port: int, **kw) -> LoadConfig:
    base = {"port": port, "secret": SECRET.decode(), "duration": 5.0, "count": 100}
    return LoadConfig(**{"outstanding": 8, **base, **kw})


def test_mschapv2_matches_the_rfc_vectors():
    """The generator's MS-CHAPv2 NT-Response matches RFC 2759 §9.2 (MD4: tests/rules)."""
    auth = bytes.fromhex("5B5D7C7D7B3F2F3E3C2C602132262628")
    peer = bytes.fromhex("21402324255E262A28295F2B3A337C7E")
    assert p.challenge_hash(peer, auth, b"User").hex() == "d02e4386bce91226"
    expect = "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"
    assert p.nt_response(auth, peer, b"User", "clientPass").hex().upper() == expect


@pytest.mark.parametrize("kind", ["access", "accounting"])
def test_reply_check_agrees_with_pyrad_and_catches_a_forged_message_authenticator(kind):
    """Replies signed by pyrad (with Message-Authenticator) pass; one flipped HMAC bit fails."""
    nas = bytes((127, 0, 0, 1))
    if kind == "access":
        raw, auth = p.pap_request(9, b"user1", b"pass1", SECRET, nas)
        reply = AuthPacket(packet=raw, secret=SECRET).CreateReply()
        reply.code = p.ACCESS_ACCEPT
    else:
        raw, auth = p.accounting_request(9, b"user1", b"s-1", SECRET, nas, False, 1)
        reply = AcctPacket(packet=raw, secret=SECRET).CreateReply()
    reply.add_message_authenticator()
    signed = reply.ReplyPacket()
    assert p.check_reply(signed, auth, SECRET)
    assert signed[20] == p.MESSAGE_AUTHENTICATOR
    forged = signed[:22] + bytes((signed[22] ^ 1,)) + signed[23:]
    # re-sign the Response Authenticator so that only the Message-Authenticator is wrong
    forged = p.sign_reply(forged[0], forged[1], auth, forged[20:], SECRET)
    assert not p.check_reply(forged, auth, SECRET)
    assert not p.check_reply(signed, bytes(16), SECRET)


@pytest.mark.parametrize("mode", ["pap", "chap", "mschapv2"])
async def test_counts_accepts_and_rejects(mode):
    """100 requests over user1..user50: 90 accepts, 10 rejects, every request well formed."""
    policy = CheckingPolicy()
    cfg = _cfg(21951, mode=mode, accounts=50, include_bad=True, user_offset=0)
    s = await _run(cfg, policy)
    assert policy.errors == []
    assert (s["sent"], s["replies"], s["accepts"], s["rejects"]) == (100, 100, 90, 10)
    assert (s["timeouts"], s["bad"], s["unexpected"]) == (0, 0, 0)
    assert s["p50_ms"] <= s["p99_ms"] <= s["max_ms"] and s["rps"] > 0


async def test_good_users_only_by_default():
    """Without include_bad the generator skips user10, user20, ...: all accepted."""
    policy = CheckingPolicy()
    s = await _run(_cfg(21952, accounts=30, user_offset=0), policy)
    assert (s["accepts"], s["rejects"], s["unexpected"]) == (100, 0, 0)


async def test_reject_of_a_good_user_is_unexpected():
    """A reject where an accept is expected is counted as unexpected (and fails the CLI)."""
    s = await _run(_cfg(21953, count=20), lambda data: p.ACCESS_REJECT)
    assert (s["rejects"], s["unexpected"]) == (20, 20)


async def test_dropped_requests_count_as_timeouts():
    """Every 4th request unanswered: 40 sent, 30 replies, 10 timeouts after 0.5 s."""
    cfg = _cfg(21954, count=40, timeout=0.5, accounts=1000)
    s = await _run(cfg, CheckingPolicy(drop_every=4))
    assert (s["sent"], s["replies"], s["timeouts"]) == (40, 30, 10)


async def test_forged_response_authenticator_is_bad():
    """Replies with a wrong Response Authenticator are counted bad, never accepted."""
    s = await _run(
        _cfg(21955, count=30, outstanding=30, timeout=0.5), CheckingPolicy(), corrupt=True
    )
    assert (s["accepts"], s["replies"]) == (0, 0)
    assert s["bad"] == 30 and s["timeouts"] == 30


async def test_accounting_sends_start_then_stop_per_session():
    """Accounting mode sends a Start then a Stop for each session, with valid authenticators."""
    policy = CheckingPolicy()
    s = await _run(_cfg(21956, mode="acct", count=100), policy)
    assert policy.errors == []
    assert s["acct_ok"] == s["sent"] >= 100
    assert policy.acct and all(v == [1, 2] for v in policy.acct.values())


def _wait_until_bound(port: int, limit: float = 10.0):
    """Return once something listens on the UDP port (the responder has started)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing bound UDP port {port}")


def test_cli_two_processes_json():
    """The command line with --procs 2 merges both processes' counts into one JSON summary."""
    echo = subprocess.Popen(
        [sys.executable, "-m", "bench.radload.echo", "--port", "21957"]
        + ["--secret", SECRET.decode(), "--seconds", "20"],
        cwd=REPO,
    )
    try:
        _wait_until_bound(21957)
        out = subprocess.run(
            [sys.executable, "-m", "bench.radload", "--port", "21957", "--secret", SECRET.decode()]
            + ["--procs", "2", "--count", "200", "--duration", "5", "--json", "-"],
            cwd=REPO, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    finally:
        echo.terminate()
        echo.wait(5)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert (s["procs"], s["sent"], s["accepts"], s["timeouts"], s["bad"]) == (2, 200, 200, 0, 0)
