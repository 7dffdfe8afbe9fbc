"""An edit to an account in the database shows in answers within one second."""

from __future__ import annotations

import time

from pyrad import packet

from .bridgekit import access_request, pyrad_client, sql


def _code(user, password):
    client = pyrad_client()
    return client.SendPacket(access_request(client, user, password)).code


def _seconds_until(user, password, code, limit=3.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if _code(user, password) == code:
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{user} never answered {code}")


def test_password_change_within_one_second(bridge, bridge_db):
    """A cached account's new password is accepted, and the old rejected, within 1 s."""
    assert _code("user31", "pass31") == packet.AccessAccept
    assert _code("user31", "pass31") == packet.AccessAccept  # now served from the cache
    hits = bridge.metrics.get("cache_total", "hit")
    assert hits > 0
    sql(
        bridge_db,
        "UPDATE zm_radius.account SET password_clear = 'new31' WHERE username = 'user31'",
        fetch="execute",
    )
    assert _seconds_until("user31", "pass31", packet.AccessReject) < 1.0
    assert _code("user31", "new31") == packet.AccessAccept


def test_pause_within_one_second(bridge, bridge_db):
    """Pausing a cached account turns accepts into rejects within 1 s."""
    assert _code("user32", "pass32") == packet.AccessAccept
    sql(
        bridge_db,
        "UPDATE zm_radius.account SET state = 'paused' WHERE username = 'user32'",
        fetch="execute",
    )
    assert _seconds_until("user32", "pass32", packet.AccessReject) < 1.0


def test_new_account_after_negative_cache(bridge, bridge_db):
    """An unknown name is cached as unknown, yet an account created for it works within 1 s."""
    assert _code("newcomer", "pw") == packet.AccessReject
    sql(
        bridge_db,
        "INSERT INTO zm_radius.account (account_id, username, password_clear, state, "
        "expiry_at, first_dial_at) VALUES (6001, 'newcomer', 'pw', 'active', "
        "now() + interval '1 day', now())",
        fetch="execute",
    )
    assert _seconds_until("newcomer", "pw", packet.AccessAccept) < 1.0
