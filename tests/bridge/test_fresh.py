"""Fresh answers (issue 9): a feed that cannot miss late commits, NOTIFY, a bounded cache
life, first dials recorded again after a reset, reservations per place."""

from __future__ import annotations

import asyncio
import threading
import time

import asyncpg
import pytest
from pyrad import packet

from radius_bridge.cache import MISSING
from radius_bridge.testing import Controller
from zm_rules.contract import CHANGE_CHANNEL

from .bridgekit import access_request, make_config, pyrad_client, sql


def _code(port, user, password, **attrs):
    client = pyrad_client(port=port)
    return client.SendPacket(access_request(client, user, password, **attrs)).code


def _until(port, user, password, code, limit=1.0):
    """Seconds until ``user`` gets ``code`` (AssertionError after ``limit`` + 1 s)."""
    start = time.monotonic()
    while time.monotonic() - start < limit + 1.0:
        if _code(port, user, password) == code:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{user} never got {code}")


class OpenTransaction:
    """A provider transaction (pause an account, its feed row by trigger) kept open."""

    def __init__(self, dsn, statement):
        self.dsn, self.statement = dsn, statement
        self.done, self.commit = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self):
        conn = await asyncpg.connect(self.dsn)
        tr = conn.transaction()
        await tr.start()
        await conn.execute(self.statement)
        self.done.set()
        while not self.commit.is_set():
            await asyncio.sleep(0.02)
        await tr.commit()
        await conn.close()

    def __enter__(self):
        self.thread.start()
        assert self.done.wait(5)
        return self

    def __exit__(self, *exc):
        self.commit.set()
        self.thread.join(5)


def test_change_committed_late_is_seen(bridge, bridge_db):
    """A pause whose transaction stays open 4 s (longer than any re-read window) while other
    changes commit is applied within a second of its commit."""
    assert _code(21830, "user121", "pass121") == packet.AccessAccept
    with OpenTransaction(
        bridge_db, "UPDATE zm_radius.account SET state = 'paused' WHERE username = 'user121'"
    ):
        for i in range(4):  # later changes commit meanwhile and move the feed on
            sql(bridge_db, "UPDATE zm_radius.account SET rate_up_kbps = $1 "
                "WHERE username = 'user122'", 1000 + i, fetch="execute")  # fmt: skip
            time.sleep(1.0)
        assert _code(21830, "user121", "pass121") == packet.AccessAccept  # not committed yet
    assert _until(21830, "user121", "pass121", packet.AccessReject) < 1.0


def test_notify_wakes_the_feed(bridge_db):
    """With the poll at 30 s, a change still shows within a second: NOTIFY wakes the bridge."""
    cfg = make_config(bridge_db, 22301, 22302, database={"change_poll_seconds": 30.0})
    with Controller(cfg):
        time.sleep(0.3)
        assert _code(22301, "user123", "pass123") == packet.AccessAccept
        sql(bridge_db, "UPDATE zm_radius.account SET password_clear = 'new123' "
            "WHERE username = 'user123'", fetch="execute")  # fmt: skip
        assert _until(22301, "user123", "pass123", packet.AccessReject) < 1.0


def test_cache_entries_expire(bridge_db):
    """A change that reaches no feed at all (provider bug, lost row) is seen after the TTL:
    a paused account is not accepted for ever."""
    cfg = make_config(bridge_db, 22303, 22304, cache={"ttl_seconds": 1.0})
    with Controller(cfg):
        assert _code(22303, "user124", "pass124") == packet.AccessAccept

        async def pause_without_feed():
            conn = await asyncpg.connect(bridge_db)
            async with conn.transaction():  # the feed trigger off for this one change
                await conn.execute("ALTER TABLE zm_radius.account DISABLE TRIGGER account_changed")
                await conn.execute(
                    "UPDATE zm_radius.account SET state = 'paused' WHERE username = 'user124'"
                )
                await conn.execute("ALTER TABLE zm_radius.account ENABLE TRIGGER account_changed")
            await conn.close()

        asyncio.run(pause_without_feed())
        assert _until(22303, "user124", "pass124", packet.AccessReject, limit=1.5) < 2.5


def _first_dial(dsn, user, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = sql(dsn, "SELECT * FROM zm_radius.first_dial WHERE username = $1", user)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_first_dial_recorded_again_after_reset(bridge, bridge_db):
    """After an operator's first-dial reset the next login records a new first dial; the
    bridge's own write evicts the account at once and feeds every bridge."""
    user = "user150"  # waiting for its first dial
    assert _code(21830, user, "pass150") == packet.AccessAccept
    assert _first_dial(bridge_db, user)
    # The operator resets it, as zm_radius will: the fact cleared, the feed told.
    sql(bridge_db, "DELETE FROM zm_radius.first_dial WHERE username = $1", user, fetch="execute")
    sql(bridge_db, "INSERT INTO zm_radius.account_change (username) VALUES ($1)", user,
        fetch="execute")  # fmt: skip
    sql(bridge_db, f"SELECT pg_notify('{CHANGE_CHANNEL}', '')", fetch="execute")
    time.sleep(0.5)
    assert _code(21830, user, "pass150") == packet.AccessAccept
    assert _first_dial(bridge_db, user)
    feed = sql(bridge_db, "SELECT count(*) FROM zm_radius.account_change WHERE username = $1",
               user, fetch="fetchval")  # fmt: skip
    assert feed >= 3  # two written by the bridge, one by the operator
    deadline = time.monotonic() + 2
    while bridge.server.cache.peek(user) is not MISSING and time.monotonic() < deadline:
        time.sleep(0.02)
    assert bridge.server.cache.peek(user) is MISSING


@pytest.fixture
def limit_one(bridge_db):
    sql(bridge_db, "UPDATE zm_radius.account SET session_limit = 1 WHERE username = 'user131'",
        fetch="execute")  # fmt: skip
    time.sleep(0.7)
    yield "user131"
    sql(bridge_db, "UPDATE zm_radius.account SET session_limit = NULL WHERE username = 'user131'",
        fetch="execute")  # fmt: skip


def test_redial_from_same_mac_replaces_its_reservation(bridge, limit_one):
    """Limit 1: an Accept whose PPP negotiation failed does not lock the subscriber out — a
    re-dial from the same MAC is accepted, another MAC is not."""
    mac_a, mac_b = "00-11-22-33-44-0a", "00-11-22-33-44-0b"
    assert _code(21830, limit_one, "pass131", Calling_Station_Id=mac_a) == packet.AccessAccept
    assert _code(21830, limit_one, "pass131", Calling_Station_Id=mac_a) == packet.AccessAccept
    assert _code(21830, limit_one, "pass131", Calling_Station_Id=mac_b) == packet.AccessReject
