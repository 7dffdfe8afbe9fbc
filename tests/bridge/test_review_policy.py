"""Review findings in the answer's attributes, over real UDP: the first dial's
Session-Timeout and the fixed IP's Framed-IP-Address."""

from __future__ import annotations

import logging

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


class _Events(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.events = []

    def emit(self, record):
        self.events.append((record.getMessage(), getattr(record, "fields", {})))


@pytest.fixture
def policy_events():
    handler = _Events()
    logger = logging.getLogger("radius_bridge.policy")
    logger.addHandler(handler)
    try:
        yield handler.events
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    "account_id, fixed_ip",
    [
        (6101, "2001:db8::1"),  # IPv6: would be a 16-byte Framed-IP-Address
        (6102, "255.255.255.255"),  # RFC 2865: "the user picks"
        (6103, "255.255.255.254"),  # RFC 2865: "the NAS picks"
        (6104, "0.0.0.0"),
        (6105, "127.0.0.1"),
        (6106, "224.0.0.5"),
        (6107, "169.254.1.1"),
    ],
)
def test_fixed_ip_not_unicast_ipv4_falls_back_to_pool(
    bridge, bridge_db, policy_events, account_id, fixed_ip
):
    """A fixed_ip that is not a unicast IPv4 address is never sent as Framed-IP-Address:
    the account gets its pool, and one warning is logged for it (not one per request)."""
    user = f"fixedip{account_id}"
    sql(
        bridge_db,
        "INSERT INTO zm_radius.account (account_id, username, password_clear, state, "
        "expiry_at, first_dial_at, pool_normal, fixed_ip) VALUES ($1, $2, 'pw', 'active', "
        "now() + interval '30 days', now(), 'pool-normal', $3::inet)",
        account_id,
        user,
        fixed_ip,
        fetch="execute",
    )
    client = pyrad_client()
    for _ in range(3):
        reply = client.SendPacket(access_request(client, user, "pw"))
        assert reply.code == packet.AccessAccept
        assert "Framed-IP-Address" not in reply.keys()  # noqa: SIM118
        assert reply["Framed-Pool"] == ["pool-normal"]
    warned = [f for name, f in policy_events if name == "fixed_ip_not_sent"]
    assert len(warned) == 1 and warned[0]["account_id"] == account_id


def test_fixed_unicast_ipv4_is_sent(bridge, bridge_db):
    """A unicast IPv4 fixed_ip (with or without a prefix) is still Framed-IP-Address."""
    for account_id, fixed_ip in ((6111, "192.0.2.10"), (6112, "10.1.2.3/24")):
        user = f"fixedip{account_id}"
        sql(
            bridge_db,
            "INSERT INTO zm_radius.account (account_id, username, password_clear, state, "
            "expiry_at, first_dial_at, pool_normal, fixed_ip) VALUES ($1, $2, 'pw', "
            "'active', now() + interval '30 days', now(), 'pool-normal', $3::inet)",
            account_id,
            user,
            fixed_ip,
            fetch="execute",
        )
        client = pyrad_client()
        reply = client.SendPacket(access_request(client, user, "pw"))
        assert reply.code == packet.AccessAccept
        assert reply["Framed-IP-Address"] == [fixed_ip.split("/")[0]]
        assert "Framed-Pool" not in reply


def test_full_width_user_name_is_the_account(bridge, bridge_db):
    """A name typed in full-width letters (a phone's Chinese keyboard) is the account the
    provider stores NFKC-normalised."""
    client = pyrad_client()
    reply = client.SendPacket(access_request(client, "ＵＳＥＲ１１１", "pass111"))
    assert reply.code == packet.AccessAccept
