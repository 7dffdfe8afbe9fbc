"""BlastRADIUS defaults, silent drops, duplicate detection, Status-Server and Proxy-State."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading

import asyncpg
import pytest
from pyrad import packet

from .bridgekit import (
    ACCT_PORT,
    AUTH_PORT,
    access_request,
    pyrad_client,
    send_raw,
    strip_message_authenticator,
)


def _drops(bridge, reason):
    return bridge.metrics.get("dropped_total", reason)


def test_missing_message_authenticator_dropped(bridge):
    """An Access-Request without Message-Authenticator from a strict NAS is dropped."""
    client = pyrad_client()
    req = client.CreateAuthPacket(User_Name="user1")
    req["User-Password"] = req.PwCrypt("pass1")
    before = _drops(bridge, "missing_message_authenticator")
    assert send_raw(strip_message_authenticator(req.RequestPacket())) is None
    assert _drops(bridge, "missing_message_authenticator") == before + 1


def test_wrong_secret_dropped(bridge):
    """A request signed with the wrong secret gets no answer, and is counted."""
    client = pyrad_client(secret="not-the-secret")
    before = _drops(bridge, "bad_authenticator")
    assert send_raw(access_request(client, "user1", "pass1").RequestPacket()) is None
    acct = client.CreateAcctPacket(
        User_Name="user1", Acct_Status_Type="Start", Acct_Session_Id="wrong-secret"
    )
    assert send_raw(acct.RequestPacket(), port=ACCT_PORT) is None
    assert _drops(bridge, "bad_authenticator") == before + 2


def test_unknown_client_dropped(bridge):
    """A request from an address that is no NAS is dropped and counted."""
    client = pyrad_client()
    before = _drops(bridge, "unknown_client")
    assert (
        send_raw(access_request(client, "user1", "pass1").RequestPacket(), src_ip="127.0.0.99")
        is None
    )
    assert _drops(bridge, "unknown_client") == before + 1


def _valid() -> bytes:
    client = pyrad_client()
    return access_request(client, "user1", "pass1").RequestPacket()


def _set_length(data: bytes, length: int) -> bytes:
    return data[:2] + struct.pack("!H", length) + data[4:]


def _malformed_cases():
    good = _valid()
    head = good[:20]
    yield "short", good[:19]
    yield "length_over_datagram", _set_length(good, len(good) + 1)
    yield "length_under_header", _set_length(good, 19)
    yield "attr_length_0", _set_length(head + b"\x01\x00abc", 25)
    yield "attr_length_1", _set_length(head + b"\x01\x01abc", 25)
    yield "attr_overrun", _set_length(head + b"\x01\x09abc", 25)
    yield "truncated_header", _set_length(good + b"\x01", len(good) + 1)
    yield "oversize", _set_length(good + bytes(4097 - len(good)), 4097)
    yield "bad_ma_length", _set_length(head + b"\x50\x05abc", 25)


@pytest.mark.parametrize("name,data", list(_malformed_cases()), ids=lambda v: str(v)[:20])
def test_malformed_dropped(bridge, name, data):
    """Bad length, attribute length 0/1, overrun, truncation, > 4096 bytes: silent drop."""
    before = _drops(bridge, "malformed")
    assert send_raw(data, timeout=0.15) is None
    assert _drops(bridge, "malformed") == before + 1, name


def test_padding_after_length_ignored(bridge):
    """Octets beyond the Length field are padding (RFC 2865 §3): the request is answered."""
    reply = send_raw(_valid() + b"\x00\x00\x00", timeout=2)
    assert reply is not None and reply[0] == packet.AccessAccept


def test_access_request_on_accounting_port_dropped(bridge):
    """Codes that do not belong to a port are dropped."""
    before = _drops(bridge, "unexpected_code")
    assert send_raw(_valid(), port=ACCT_PORT) is None
    assert _drops(bridge, "unexpected_code") == before + 1


def test_status_server_both_ports(bridge):
    """Status-Server (RFC 5997) with Message-Authenticator is answered on both ports."""
    client = pyrad_client()
    for port, code in ((AUTH_PORT, packet.AccessAccept), (ACCT_PORT, packet.AccountingResponse)):
        req = client.CreateAuthPacket(code=packet.StatusServer)
        req.add_message_authenticator()
        reply = send_raw(req.RequestPacket(), port=port, timeout=2)
        assert reply is not None and reply[0] == code and reply[20] == 80
        parsed = req.CreateReply(packet=reply)
        assert req.VerifyReply(parsed, reply)


def test_status_server_without_ma_dropped(bridge):
    """Status-Server must carry Message-Authenticator; without it, silence."""
    client = pyrad_client()
    req = client.CreateAuthPacket(code=packet.StatusServer)
    before = _drops(bridge, "missing_message_authenticator")
    assert send_raw(strip_message_authenticator(req.RequestPacket())) is None
    assert _drops(bridge, "missing_message_authenticator") == before + 1


def test_proxy_state_copied(bridge):
    """Proxy-State attributes come back in the reply, in order."""
    client = pyrad_client()
    req = access_request(client, "user13", "pass13")
    req.AddAttribute("Proxy-State", b"first")
    req.AddAttribute("Proxy-State", b"second")
    reply = client.SendPacket(req)
    assert reply["Proxy-State"] == [b"first", b"second"]


def test_duplicate_after_answer_gets_same_reply(bridge):
    """A retransmission (same source, id, authenticator) gets the same bytes, unprocessed."""
    data = access_request(pyrad_client(), "user14", "pass14").RequestPacket()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(data, ("127.0.0.1", AUTH_PORT))
        first = sock.recv(4096)
        decided = bridge.metrics.get("auth_total", "accept")
        sock.sendto(data, ("127.0.0.1", AUTH_PORT))
        assert sock.recv(4096) == first
    assert bridge.metrics.get("auth_total", "accept") == decided


class TableLock:
    """Holds ACCESS EXCLUSIVE on the account table from another session until released."""

    def __init__(self, dsn):
        self.dsn = dsn
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._hold()), daemon=True)

    async def _hold(self):
        conn = await asyncpg.connect(self.dsn)
        async with conn.transaction():
            await conn.execute("LOCK TABLE zm_radius.account IN ACCESS EXCLUSIVE MODE")
            self.locked.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        await conn.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(5)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(5)


def test_duplicate_while_in_progress_processed_once(bridge, bridge_db):
    """A retransmission that arrives while the first copy waits on the database is not
    processed again; the single answer comes once the first completes."""
    data = access_request(pyrad_client(), "user15", "pass15").RequestPacket()
    misses = bridge.metrics.get("cache_total", "miss")
    dups = bridge.metrics.get("duplicates_total", "auth")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        with TableLock(bridge_db):
            sock.sendto(data, ("127.0.0.1", AUTH_PORT))
            sock.sendto(data, ("127.0.0.1", AUTH_PORT))
            with pytest.raises(TimeoutError):
                sock.recv(4096)  # still waiting on the lock
        sock.settimeout(3)
        reply = sock.recv(4096)
        assert reply[0] == packet.AccessAccept
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(4096)
    assert bridge.metrics.get("cache_total", "miss") == misses + 1
    assert bridge.metrics.get("duplicates_total", "auth") == dups + 1
