"""Review findings in the answer's attributes, over real UDP: the first dial's
Session-Timeout and the fixed IP's Framed-IP-Address."""

from __future__ import annotations

import pytest
from pyrad import packet

from radius_bridge.config import ConfigError, from_dict

from .bridgekit import access_request, pyrad_client, sql


def test_waiting_account_gets_a_short_first_session(bridge, bridge_db):
    """A waiting account's period starts at this dial and Odoo sets its expiry a minute
    later: its Accept carries Session-Timeout <= [policy] first_dial_session_timeout (300),
    so the NAS asks again once the expiry is known. An account in good standing keeps its
    full day."""
    assert (
        sql(
            bridge_db,
            "SELECT state FROM zm_radius.account WHERE username = 'user110'",
            fetch="fetchval",
        )
        == "waiting"
    )
    client = pyrad_client()
    reply = client.SendPacket(access_request(client, "user110", "pass110"))
    assert reply.code == packet.AccessAccept
    assert 0 < reply["Session-Timeout"][0] <= 300
    reply = client.SendPacket(access_request(client, "user111", "pass111"))
    assert reply.code == packet.AccessAccept
    assert reply["Session-Timeout"] == [86400]


def test_first_dial_session_timeout_setting():
    """[policy] first_dial_session_timeout defaults to 300 and must be > 0."""
    assert from_dict({"database": {"dsn": "x"}}).policy.first_dial_session_timeout == 300
    cfg = from_dict({"database": {"dsn": "x"}, "policy": {"first_dial_session_timeout": 60}})
    assert cfg.policy.first_dial_session_timeout == 60
    for bad in (0, -1):
        with pytest.raises(ConfigError, match="first_dial_session_timeout"):
            from_dict({"database": {"dsn": "x"}, "policy": {"first_dial_session_timeout": bad}})
