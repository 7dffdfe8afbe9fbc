"""A surface that holds against hostile input (issue 9), over real UDP and PostgreSQL."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import threading
import time

import pytest
from pyrad import packet

from radius_bridge import auth, handlers
from radius_bridge.testing import Controller

from .bridgekit import (
    AUTH_PORT,
    TableLock,
    access_request,
    auth_packet,
    burst,
    make_config,
    pyrad_client,
    send_raw,
    sql,
    strip_message_authenticator,
)


def _set_nas(bridge, dsn, nas_id: int, **values):
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(values, 2))
    sql(dsn, f"UPDATE zm_radius.nas SET {sets} WHERE id = $1", nas_id, *values.values(),
        fetch="execute")  # fmt: skip
    bridge.run(bridge.server._refresh_nas())


def test_identifier_nas_needs_message_authenticator_whatever_its_row(bridge, bridge_db):
    """A NAS known only by NAS-Identifier answers any source address: without
    Message-Authenticator it is dropped even with the relaxed rule (no oracle, no reflector)."""
    _set_nas(bridge, bridge_db, 3, require_message_authenticator=False)
    try:
        client = pyrad_client(secret="roam-secret", bind_ip="127.0.0.9")
        req = client.CreateAuthPacket(User_Name="user7", NAS_Identifier="roaming-nas")
        req["User-Password"] = req.PwCrypt("pass7")
        before = bridge.metrics.get("dropped_total", "missing_message_authenticator")
        raw = strip_message_authenticator(req.RequestPacket())
        assert send_raw(raw, src_ip="127.0.0.9") is None
        assert bridge.metrics.get("dropped_total", "missing_message_authenticator") == before + 1
    finally:
        _set_nas(bridge, bridge_db, 3, require_message_authenticator=True)


def test_proxy_state_without_message_authenticator_dropped(bridge):
    """Even for a legacy NAS allowed to omit Message-Authenticator, a request carrying
    Proxy-State without it (the BlastRADIUS shape) is dropped."""
    client = pyrad_client(secret="legacy-secret", bind_ip="127.0.0.2")
    req = client.CreateAuthPacket(User_Name="user8")
    req["User-Password"] = req.PwCrypt("pass8")
    req.AddAttribute("Proxy-State", b"state")
    before = bridge.metrics.get("dropped_total", "proxy_state_without_ma")
    assert send_raw(strip_message_authenticator(req.RequestPacket()), src_ip="127.0.0.2") is None
    assert bridge.metrics.get("dropped_total", "proxy_state_without_ma") == before + 1


def _auth_log(dsn, user, n=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = sql(dsn, "SELECT reason, result FROM zm_radius.auth_log WHERE username = $1 "
                   "ORDER BY at", user)  # fmt: skip
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_reject_message_is_generic_and_reasons_are_logged(bridge, bridge_db):
    """Unknown user, bad password, paused account and unbound MAC get the same Reply-Message;
    the auth log keeps each reason."""
    sql(bridge_db, "UPDATE zm_radius.account SET bind_mac = 'aa-aa-aa-aa-aa-aa' "
        "WHERE username = 'user101'", fetch="execute")  # fmt: skip
    time.sleep(0.7)
    client = pyrad_client()
    messages = set()
    for user, password in (("nobody-x", "x"), ("user102", "wrong"), ("user20", "pass20"),
                           ("user101", "pass101")):  # fmt: skip
        reply = client.SendPacket(access_request(client, user, password))
        assert reply.code == packet.AccessReject
        messages.add(tuple(reply.get("Reply-Message", [])))
    assert messages == {("Authentication failed",)}
    assert _auth_log(bridge_db, "user102")[0]["reason"] == "bad password"
    assert _auth_log(bridge_db, "user101")[0]["reason"] == "mac not bound"
    assert _auth_log(bridge_db, "nobody-x")[0]["reason"] == "unknown user"


@pytest.mark.parametrize("service,code", [(6, packet.AccessReject), (7, packet.AccessReject),
                                          (2, packet.AccessAccept)])  # fmt: skip
def test_subscriber_refused_administrative_login(bridge, service, code):
    """Service-Type Administrative / NAS-Prompt (a shell on the BRAS) is refused to a
    subscriber account; Framed-User is served."""
    client = pyrad_client()
    req = access_request(client, "user103", "pass103", Service_Type=service)
    assert client.SendPacket(req).code == code


def test_duplicate_key_includes_source_port(bridge):
    """RFC 5080: a second client (another source port) reusing the Identifier and Request
    Authenticator of an accepted request, with a wrong password, is processed: rejected."""
    authenticator = os.urandom(16)
    good = auth_packet([(1, "user104")], password=b"pass104", ident=7, authenticator=authenticator)
    bad = auth_packet([(1, "user104")], password=b"nope", ident=7, authenticator=authenticator)
    first = burst([good], AUTH_PORT)
    second = burst([bad], AUTH_PORT)  # a new socket: another source port
    assert first[0][0] == packet.AccessAccept
    assert second[0][0] == packet.AccessReject


def _mschap_request(client, user: str, password: str, wrong: bool = False):
    challenge, peer = os.urandom(16), os.urandom(16)
    nt = auth.challenge_response(
        auth.challenge_hash(peer, challenge, user.encode()), auth.nt_hash(password)
    )
    if wrong:
        nt = bytes(24)
    req = access_request(client, user)
    req["MS-CHAP-Challenge"] = challenge
    req["MS-CHAP2-Response"] = b"\x05\x00" + peer + bytes(8) + nt
    return req


@pytest.mark.parametrize("user,wrong,code", [("user20", False, b"647"),
                                             ("user20", True, b"691"),
                                             ("user105", True, b"691")])  # fmt: skip
def test_mschap_error_codes(bridge, user, wrong, code):
    """MS-CHAP-Error: 647 (account disabled) for a paused account with the right password,
    691 for a wrong password."""
    client = pyrad_client()
    reply = client.SendPacket(_mschap_request(client, user, f"pass{user[4:]}", wrong))
    assert reply.code == packet.AccessReject
    assert reply["MS-CHAP-Error"][0] == b"\x05E=" + code + b" R=0 V=3"


def test_mppe_salts_never_equal(monkeypatch):
    """The two MPPE key salts of one reply differ even when the random source repeats."""
    calls = iter([b"\x12\x34", b"\x12\x34", b"\x56\x78"])
    monkeypatch.setattr(handlers.os, "urandom", lambda n: next(calls))
    send, recv = handlers._salts()
    assert send != recv and send[0] & 0x80 and recv[0] & 0x80


@pytest.fixture(scope="module")
def small_cache(bridge_db):
    with Controller(make_config(bridge_db, 22201, 22202, cache={"max_accounts": 4})) as ctl:
        yield ctl


def _login(port, user, password=None):
    client = pyrad_client(port=port)
    password = password or f"pass{user[4:]}"
    return client.SendPacket(access_request(client, user, password)).code


def test_cache_evicts_least_recently_used_and_unknown_names_apart(small_cache):
    """A hot account stays cached while colder ones and a flood of unknown names come in."""
    for user in ("user111", "user112", "user113", "user114"):
        assert _login(22201, user) == packet.AccessAccept
    for user in ("user111", "user115"):  # user111 used again, user115 evicts the coldest
        assert _login(22201, user) == packet.AccessAccept
    for i in range(30):
        assert _login(22201, f"scanner-{i}", "x") == packet.AccessReject
    cache = small_cache.server.cache
    assert "user111" in cache.rows and "user112" not in cache.rows
    assert {"user111", "user113", "user114", "user115"} <= set(cache.rows)


def test_cache_miss_queue_is_bounded(bridge_db):
    """While the database is slow, at most max_pending_lookups misses wait; the rest are
    dropped (the NAS retries), and service resumes after."""
    cfg = make_config(bridge_db, 22205, 22206, cache={"max_pending_lookups": 5})
    with Controller(cfg) as ctl:
        cache = ctl.server.cache
        packets = [auth_packet([(1, f"cold-{i}")], password=b"x", ident=i) for i in range(30)]
        with TableLock(bridge_db, "zm_radius.account") as lock:
            replies = {}
            t = threading.Thread(target=lambda: replies.update(burst(packets, 22205, timeout=8)))
            t.start()
            lock.waiting(1)
            time.sleep(0.3)  # all 30 datagrams are read by now; at most 5 lookups wait
            assert len(cache._waiting) <= 5
        t.join()
        assert ctl.metrics.get("dropped_total", "lookup_queue_full") >= 25
        assert len(replies) <= 5
        assert _login(22205, "user116") == packet.AccessAccept


def test_no_heap_freeze(bridge):
    """The bridge does not gc.freeze() the heap (frozen cyclic garbage is never collected)."""
    assert gc.get_freeze_count() == 0


def test_accounting_on_storm_runs_one_refresh_at_a_time(bridge):
    """Twenty Accounting-On in a burst re-read the live sessions once at a time, not twenty
    full scans at once."""
    from .bridgekit import acct_packet

    online = bridge.server.online
    original = online.refresh
    state = {"now": 0, "max": 0, "runs": 0}

    async def slow_refresh():
        state["now"] += 1
        state["runs"] += 1
        state["max"] = max(state["max"], state["now"])
        try:
            await asyncio.sleep(0.3)
            await original()
        finally:
            state["now"] -= 1

    online.refresh = slow_refresh
    try:
        ons = [
            acct_packet([(40, 7), (32, "roaming-nas")], "roam-secret", ident=i) for i in range(20)
        ]
        assert len(burst(ons, 21831, src_ip="127.0.0.6")) == 20
        deadline = time.monotonic() + 5
        while state["now"] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        online.refresh = original
    assert state["max"] == 1 and 1 <= state["runs"] <= 3


def test_crypt_check_does_not_block_other_logins(bridge, bridge_db):
    """A PAP login for an account with an imported (slow) SHA-512 crypt hash is checked off
    the event loop: a login sent after it is answered before it."""
    from passlib.hash import sha512_crypt

    hashed = sha512_crypt.using(rounds=3_000_000).hash("slow-pw")
    sql(bridge_db, "INSERT INTO zm_radius.account (account_id, username, password_crypt, state, "
        "expiry_at, first_dial_at) VALUES (7001, 'crypted', $1, 'active', now() + interval "
        "'9 days', now()) ON CONFLICT DO NOTHING", hashed, fetch="execute")  # fmt: skip
    assert _login(AUTH_PORT, "user117") == packet.AccessAccept  # cached now
    slow = auth_packet([(1, "crypted")], password=b"slow-pw", ident=1)
    fast = auth_packet([(1, "user117")], password=b"pass117", ident=2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(20)
        sock.sendto(slow, ("127.0.0.1", AUTH_PORT))
        time.sleep(0.05)
        sock.sendto(fast, ("127.0.0.1", AUTH_PORT))
        order = [sock.recv(4096) for _ in range(2)]
    assert [r[1] for r in order] == [2, 1]
    assert order[1][0] == packet.AccessAccept  # and the crypt hash was right


def test_logins_do_not_wait_for_the_write_pool(bridge_db):
    """With every connection of the accounting / background pool busy, a cold-cache login is
    still answered from the auth pool."""
    cfg = make_config(bridge_db, 22203, 22204, database={"pool_size": 2})
    with Controller(cfg) as ctl:
        release = asyncio.Event()
        held = []

        async def hold():
            for _ in range(2):
                held.append(await ctl.server.pool.acquire())
            await release.wait()
            for conn in held:
                await ctl.server.pool.release(conn)

        fut = asyncio.run_coroutine_threadsafe(hold(), ctl.loop)
        deadline = time.monotonic() + 5
        while len(held) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            assert _login(22203, "user118") == packet.AccessAccept
        finally:
            ctl.loop.call_soon_threadsafe(release.set)
            fut.result(5)


def _acct_with_ma(secret: bytes, good: bool) -> bytes:
    import hashlib
    import hmac

    body = bytes((40, 6)) + (1).to_bytes(4, "big") + bytes((44, 8)) + b"ma-sid" + b"\x01\x08user51"
    body += b"\x50\x12" + bytes(16)
    head = bytes((4, 9)) + (20 + len(body)).to_bytes(2, "big")
    mac = hmac.new(secret, head + bytes(16) + body, hashlib.md5).digest()
    if not good:
        mac = bytes(16)
    body = body[:-16] + mac
    return head + hashlib.md5(head + bytes(16) + body + secret).digest() + body


def test_accounting_message_authenticator_verified_when_present(bridge):
    """An Accounting-Request carrying a wrong Message-Authenticator is dropped (even with a
    right Request Authenticator); a right one is answered."""
    before = bridge.metrics.get("dropped_total", "bad_authenticator")
    assert not burst([_acct_with_ma(b"testing123", good=False)], 21831, timeout=0.5)
    assert bridge.metrics.get("dropped_total", "bad_authenticator") == before + 1
    assert burst([_acct_with_ma(b"testing123", good=True)], 21831)
    out = subprocess.run(  # FreeRADIUS' client computes it independently
        ["radclient", "-x", "-r", "1", "-t", "2", "127.0.0.1:21831", "acct", "testing123"],
        input='User-Name = "user51", Acct-Status-Type = Start, Acct-Session-Id = "rc-ma", '
        "Message-Authenticator = 0x00\n",
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    assert "Received Accounting-Response" in out, out
