"""An edit to a NAS row (new, secret, disabled, Message-Authenticator rule) shows within 1 s."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time

import asyncpg
import pytest
from pyrad import packet

from radius_bridge import db

from .bridgekit import access_request, pyrad_client, send_raw, sql, strip_message_authenticator

LIMIT = 1.0


def _add_nas(dsn, ids, nas_id, ip, secret, ident=None, require_ma=True):
    sql(
        dsn,
        "INSERT INTO zm_radius.nas (id, ip, nas_identifier, secret, vendor, strip_realm, "
        "require_message_authenticator, enabled) "
        "VALUES ($1, $2::inet, $3, $4, 'standard', false, $5, true)",
        nas_id,
        ip,
        ident,
        secret,
        require_ma,
        fetch="execute",
    )
    ids.append(nas_id)


@functools.cache
def _client(secret: str):
    return pyrad_client(secret=secret)


def _request(secret, user, with_ma=True, **attrs) -> bytes:
    client = _client(secret)
    if with_ma:
        return access_request(client, user, "pass" + user[4:], **attrs).RequestPacket()
    req = client.CreateAuthPacket(User_Name=user, **attrs)
    req["User-Password"] = req.PwCrypt("pass" + user[4:])
    return strip_message_authenticator(req.RequestPacket())


def _answer(secret, src_ip, user, with_ma=True, **attrs) -> int | None:
    """The reply code to a fresh request, or None when the bridge drops it."""
    reply = send_raw(_request(secret, user, with_ma, **attrs), src_ip=src_ip, timeout=0.1)
    return None if reply is None else reply[0]


def _seconds_until(expected, *args, **attrs) -> float:
    start = time.monotonic()
    while time.monotonic() - start < 3 * LIMIT:
        if _answer(*args, **attrs) == expected:
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"never got {expected} for {args}")


def _reply_signed_with(reply: bytes, request: bytes, secret: bytes) -> bool:
    expected = hashlib.md5(reply[:4] + request[4:20] + reply[20:] + secret).digest()
    return reply[4:20] == expected


def test_new_nas_by_ip_within_one_second(bridge, bridge_db, nas_rows):
    """A NAS added at a new source address is answered within 1 s of the insert."""
    assert _answer("fresh-secret", "127.0.0.20", "user71") is None
    _add_nas(bridge_db, nas_rows, 20, "127.0.0.20", "fresh-secret")
    assert _seconds_until(packet.AccessAccept, "fresh-secret", "127.0.0.20", "user71") < LIMIT


def test_new_nas_by_identifier_within_one_second(bridge, bridge_db, nas_rows):
    """A NAS added with only a NAS-Identifier is answered within 1 s of the insert."""
    args = ("late-secret", "127.0.0.21", "user72")
    assert _answer(*args, NAS_Identifier="late-nas") is None
    _add_nas(bridge_db, nas_rows, 21, None, "late-secret", ident="late-nas")
    assert _seconds_until(packet.AccessAccept, *args, NAS_Identifier="late-nas") < LIMIT


def test_secret_change_within_one_second(bridge, bridge_db, nas_rows):
    """After a secret change the new secret is answered within 1 s, the old one dropped.

    A retransmission of a request answered under the old secret does not get the cached
    reply signed with the old secret: it is processed anew and signed with the new one.
    """
    ip = "127.0.0.22"
    _add_nas(bridge_db, nas_rows, 22, ip, "old-secret", require_ma=False)
    _seconds_until(packet.AccessAccept, "old-secret", ip, "user73")
    # Without Message-Authenticator nothing ties the packet to a secret before dedup.
    first = _request("old-secret", "user74", with_ma=False)
    reply = send_raw(first, src_ip=ip, timeout=2)
    assert reply is not None and reply[0] == packet.AccessAccept
    assert _reply_signed_with(reply, first, b"old-secret")
    sql(bridge_db, "UPDATE zm_radius.nas SET secret = 'new-secret' WHERE id = 22", fetch="execute")
    assert _seconds_until(packet.AccessAccept, "new-secret", ip, "user73") < LIMIT
    assert _answer("old-secret", ip, "user73") is None
    again = send_raw(first, src_ip=ip, timeout=2)  # within dedup_seconds of the first
    assert again is not None and again != reply
    assert _reply_signed_with(again, first, b"new-secret")
    # Its password was hidden with the old secret: decrypted with the new one it is wrong.
    assert again[0] == packet.AccessReject


def test_disabled_nas_dropped_within_one_second(bridge, bridge_db, nas_rows):
    """Disabling a NAS makes the bridge drop its requests within 1 s."""
    ip = "127.0.0.23"
    _add_nas(bridge_db, nas_rows, 23, ip, "soon-off")
    _seconds_until(packet.AccessAccept, "soon-off", ip, "user75")
    sql(bridge_db, "UPDATE zm_radius.nas SET enabled = false WHERE id = 23", fetch="execute")
    assert _seconds_until(None, "soon-off", ip, "user75") < LIMIT
    assert _answer("soon-off", ip, "user75") is None


def test_message_authenticator_rule_within_one_second(bridge, bridge_db, nas_rows):
    """Turning on require_message_authenticator drops requests without one within 1 s."""
    ip = "127.0.0.24"
    _add_nas(bridge_db, nas_rows, 24, ip, "ma-secret", require_ma=False)
    _seconds_until(packet.AccessAccept, "ma-secret", ip, "user76", with_ma=False)
    sql(
        bridge_db,
        "UPDATE zm_radius.nas SET require_message_authenticator = true WHERE id = 24",
        fetch="execute",
    )
    assert _seconds_until(None, "ma-secret", ip, "user76", with_ma=False) < LIMIT
    assert _answer("ma-secret", ip, "user76") == packet.AccessAccept  # with one: still fine


def test_unchanged_relation_is_not_reloaded(bridge):
    """Polls of an unchanged relation cost one fingerprint query and keep the same directory."""
    server = bridge.server
    bridge.run(server.nas.refresh(server.pool, server.schema))  # absorb earlier tests' edits
    directory = server.nas.directory
    assert bridge.run(server.nas.refresh(server.pool, server.schema)) is False
    assert server.nas.directory is directory


def test_failed_reload_keeps_directory(bridge):
    """A reload that fails (here: the relation is gone) leaves the previous directory serving."""
    server = bridge.server
    directory = server.nas.directory
    with pytest.raises(asyncpg.UndefinedTableError):
        bridge.run(server.nas.refresh(server.pool, "no_such_schema"))
    assert server.nas.directory is directory
    assert _answer("testing123", "127.0.0.1", "user77") == packet.AccessAccept


def test_fingerprint_over_a_view(bridge_db):
    """The provider may expose ``nas`` as a VIEW: the fingerprint and reload work on it."""
    sql(
        bridge_db,
        "CREATE SCHEMA IF NOT EXISTS nas_view_test; "
        "CREATE OR REPLACE VIEW nas_view_test.nas AS SELECT * FROM zm_radius.nas",
        fetch="execute",
    )

    async def go():
        pool = await asyncpg.create_pool(bridge_db, min_size=1, max_size=1)
        try:
            table = db.NasTable()
            assert await table.refresh(pool, "nas_view_test") is True
            assert "127.0.0.1" in table.directory.by_ip
            assert await table.refresh(pool, "nas_view_test") is False
            await pool.execute("UPDATE zm_radius.nas SET coa_port = 3800 WHERE id = 1")
            try:
                assert await table.refresh(pool, "nas_view_test") is True
                assert table.directory.by_ip["127.0.0.1"].coa_port == 3800
            finally:
                await pool.execute("UPDATE zm_radius.nas SET coa_port = 3799 WHERE id = 1")
        finally:
            await pool.close()

    try:
        asyncio.run(go())
    finally:
        sql(bridge_db, "DROP SCHEMA nas_view_test CASCADE", fetch="execute")
