"""Session limit (B11) on one bridge over real UDP: racing logins, Start / Stop, expiry."""

from __future__ import annotations

import socket
import time

import pytest
from pyrad import packet

from radius_bridge.testing import Controller

from .bridgekit import access_request, make_config, pyrad_client, sql

AUTH, ACCT = 22020, 22021
PENDING = 1.0  # [policy] pending_accept_seconds, short for the expiry test
USERS = ("user201", "user202", "user203", "user204")


@pytest.fixture(scope="module")
def limited(bridge_db):
    sql(
        bridge_db,
        "UPDATE zm_radius.account SET session_limit = 1 WHERE username = ANY($1::text[])",
        list(USERS),
        fetch="execute",
    )
    cfg = make_config(bridge_db, AUTH, ACCT, policy={"pending_accept_seconds": PENDING})
    try:
        with Controller(cfg) as ctl:
            yield ctl
    finally:
        sql(
            bridge_db,
            "UPDATE zm_radius.account SET session_limit = NULL WHERE username = ANY($1::text[])",
            list(USERS),
            fetch="execute",
        )


def race(user: str, n: int = 2) -> list[int]:
    """Send ``n`` Access-Requests for ``user`` back to back, then collect every answer code."""
    client = pyrad_client(port=AUTH)
    number = user.removeprefix("user")
    packets = [access_request(client, user, f"pass{number}").RequestPacket() for _ in range(n)]
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in packets]
    try:
        for sock, data in zip(socks, packets, strict=True):
            sock.settimeout(3)
            sock.sendto(data, ("127.0.0.1", AUTH))
        return [sock.recv(4096)[0] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def login(user: str) -> int:
    return race(user, 1)[0]


def accounting(user: str, status: str, sid: str) -> None:
    client = pyrad_client(port=ACCT)
    pkt = client.CreateAcctPacket(User_Name=user, Acct_Status_Type=status, Acct_Session_Id=sid)
    assert client.SendPacket(pkt).code == packet.AccountingResponse


def test_concurrent_logins_get_one_accept(limited):
    """With session_limit 1, two simultaneous logins get exactly one Accept, on a cold cache
    (both wait for the same lookup) and on a warm one (both answered from the cache)."""
    codes = race("user201")
    assert sorted(codes) == [packet.AccessAccept, packet.AccessReject]
    assert limited.server.online.pending_count("user201") == 1
    time.sleep(PENDING + 0.2)  # the accept above never started: its reservation lapses
    assert limited.server.cache.peek("user201") is not None  # now a cache hit
    codes = race("user201", 3)
    assert sorted(codes) == [packet.AccessAccept] + [packet.AccessReject] * 2


def test_start_takes_the_reservation_and_stop_frees_at_once(limited, bridge_db):
    """The Start of an accepted login replaces its reservation; right after the Stop (no
    wait for the periodic refresh) the account may log in again."""
    assert login("user202") == packet.AccessAccept
    accounting("user202", "Start", "limit-202")
    online = limited.server.online
    assert online.pending_count("user202") == 0 and online.counts["user202"] == 1
    assert login("user202") == packet.AccessReject
    accounting("user202", "Stop", "limit-202")
    assert "user202" not in online.counts
    assert login("user202") == packet.AccessAccept
    assert (
        sql(
            bridge_db,
            "SELECT count(*) FROM zm_radius.session WHERE username = 'user202'",
            fetch="fetchval",
        )
        == 0
    )


def test_pending_accept_expires(limited):
    """An Accept whose session never starts blocks the account only for pending_accept_seconds."""
    assert login("user203") == packet.AccessAccept
    assert login("user203") == packet.AccessReject
    time.sleep(PENDING + 0.2)
    assert limited.server.online.pending_count("user203") == 0
    assert login("user203") == packet.AccessAccept


def test_nas_reboot_frees_the_place(limited):
    """An Accounting-On closes the NAS's sessions: the index drops them at once (not at the
    next 5 s refresh) and the account may log in again."""
    roaming = pyrad_client(secret="roam-secret", port=ACCT, bind_ip="127.0.0.6")
    assert login("user204") == packet.AccessAccept
    start = roaming.CreateAcctPacket(
        User_Name="user204",
        Acct_Status_Type="Start",
        Acct_Session_Id="limit-204",
        NAS_Identifier="roaming-nas",
    )
    assert roaming.SendPacket(start).code == packet.AccountingResponse
    assert login("user204") == packet.AccessReject
    on = roaming.CreateAcctPacket(Acct_Status_Type="Accounting-On", NAS_Identifier="roaming-nas")
    assert roaming.SendPacket(on).code == packet.AccountingResponse
    deadline = time.monotonic() + 1.0
    while "user204" in limited.server.online.counts and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "user204" not in limited.server.online.counts
    assert login("user204") == packet.AccessAccept
