"""The pure policy: state, expiry, pools, bindings, session limit, first dial, vendors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from radius_bridge import packets as P
from radius_bridge.policy import Facts, Settings, decide, normalize_mac
from zm_rules.contract import ACCOUNT

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NAS = SimpleNamespace(id=1, ip="10.0.0.1", identifier=None, vendor="standard", company_id=None)
SETTINGS = Settings(interim_interval=120, max_session_timeout=86400)


def account(**values):
    row = dict.fromkeys(ACCOUNT.column_names)
    row.update(
        account_id=7,
        username="alice",
        password_clear="pw",
        state="active",
        expiry_at=NOW + timedelta(days=30),
        first_dial_at=NOW - timedelta(days=3),
        pool_normal="normal",
        pool_expiring="soon",
        auto_bind_mac=False,
        auto_bind_nas=False,
        in_arrears=False,
        vendor_profiles={},
    )
    row.update(values)
    return row


def attrs(decision) -> dict[int, list[bytes]]:
    return P.parse(
        b"\x02\x00"
        + (20 + len(decision.attributes)).to_bytes(2, "big")
        + bytes(16)
        + decision.attributes
    ).attrs


def run(row, ok=True, mac=None, online=0, nas=NAS):
    return decide(row, nas, Facts("alice", ok, mac, online), NOW, SETTINGS)


def test_active_accept_with_pool_timeouts_and_class():
    """An active account gets its pool, interim interval, Class and a capped timeout."""
    d = run(account())
    a = attrs(d)
    assert d.accept and d.reason == "normal"
    assert a[P.FRAMED_POOL] == [b"normal"]
    assert a[P.ACCT_INTERIM_INTERVAL] == [(120).to_bytes(4, "big")]
    assert a[P.SESSION_TIMEOUT] == [(86400).to_bytes(4, "big")]
    assert a[P.CLASS] == [b"zm:7:normal"]
    assert d.first_dial is None


def test_session_timeout_ends_at_expiry():
    """Session-Timeout never runs past expiry_at."""
    d = run(account(expiry_at=NOW + timedelta(hours=2)))
    assert d.session_timeout == 7200
    assert attrs(d)[P.FRAMED_POOL] == [b"soon"]  # within the expiring window


@pytest.mark.parametrize("state", ["paused", "cancelled"])
def test_paused_and_cancelled_rejected(state):
    """Paused and cancelled accounts are rejected with a reason (for the log; the policy
    puts no Reply-Message in: the handler decides what the subscriber is told)."""
    d = run(account(state=state))
    assert not d.accept and d.reason == f"account {state}"
    assert P.REPLY_MESSAGE not in attrs(d)


def test_account_never_opened_rejected():
    """An account created in Odoo but never opened (state draft) gets no service, whatever
    its expiry says: nothing was sold."""
    d = run(account(state="draft", expiry_at=None))
    assert not d.accept and d.reason == "account not opened"


def test_unknown_and_bad_password_rejected():
    """No account or a failed password check is a reject."""
    assert run(None).reason == "unknown user"
    assert run(account(), ok=False).reason == "bad password"


def test_expired_restricted_pool_or_reject():
    """Expired: reject, unless a restricted pool is configured; then accept into it."""
    expired = account(expiry_at=NOW - timedelta(seconds=1))
    assert run(expired).reason == "account expired"
    d = decide(
        account(expiry_at=NOW - timedelta(days=1), pool_expired="jail"),
        NAS,
        Facts("alice", True, None),
        NOW,
        Settings(expired_filter_id="expired-acl"),
    )
    a = attrs(d)
    assert d.accept and d.reason == "restricted"
    assert a[P.FRAMED_POOL] == [b"jail"] and a[P.FILTER_ID] == [b"expired-acl"]
    assert P.VENDOR_SPECIFIC not in a  # no paid rate in the restricted profile


def test_in_arrears_restricted():
    """An account in arrears is treated like an expired one."""
    assert run(account(in_arrears=True)).reason == "in arrears"
    assert run(account(in_arrears=True, pool_expired="jail")).reason == "restricted"


def test_fixed_ip_replaces_pool():
    """A fixed IP is sent as Framed-IP-Address and no pool."""
    a = attrs(run(account(fixed_ip="192.0.2.10")))
    assert a[P.FRAMED_IP_ADDRESS] == [bytes([192, 0, 2, 10])] and P.FRAMED_POOL not in a


def test_session_limit():
    """At the session limit the login is rejected; below it accepted."""
    assert run(account(session_limit=1), online=1).reason == "session limit"
    assert run(account(session_limit=2), online=1).accept


def test_mac_and_nas_binding():
    """A bound MAC / NAS must match (MAC formats are normalised)."""
    row = account(bind_mac="AA:BB:CC:DD:EE:FF")
    assert run(row, mac="aa-bb-cc-dd-ee-ff").accept
    assert run(row, mac="aa-bb-cc-dd-ee-00").reason == "mac not bound"
    assert run(row).reason == "mac not bound"
    assert run(account(bind_nas="10.0.0.1")).accept
    assert run(account(bind_nas="10.0.0.2")).reason == "nas not bound"
    assert normalize_mac("aabb.ccdd.eeff") == "aabbccddeeff"


def test_first_dial_and_auto_bind_facts():
    """Waiting for the first dial: accepted, and the fact (with auto-bound MAC/NAS) recorded."""
    row = account(
        state="waiting",
        expiry_at=None,
        first_dial_at=None,
        auto_bind_mac=True,
        auto_bind_nas=True,
    )
    d = run(row, mac="AA-BB-CC-DD-EE-FF")
    assert d.accept and d.session_timeout == 300  # first_dial_session_timeout: no expiry yet
    assert d.first_dial.at == NOW
    assert d.first_dial.mac == "aabbccddeeff" and d.first_dial.nas == "10.0.0.1"
    plain = run(account(first_dial_at=None), mac="AA-BB-CC-DD-EE-FF").first_dial
    assert plain.mac is None and plain.nas is None


def test_vendor_rates():
    """Standard → WISPr bit/s, MikroTik → Rate-Limit string + group, Huawei → avg/peak bit/s."""
    row = account(
        rate_up_kbps=1024,
        rate_down_kbps=4096,
        burst_up_kbps=2048,
        burst_down_kbps=8192,
        vendor_profiles='{"mikrotik": "gold"}',
    )
    std = P.encode_vsa(14122, 7, (1024000).to_bytes(4, "big"))
    assert std in run(row).attributes
    mk = run(row, nas=SimpleNamespace(**{**vars(NAS), "vendor": "mikrotik"})).attributes
    assert P.encode_vsa(14988, 8, b"1024k/4096k 2048k/8192k") in mk
    assert P.encode_vsa(14988, 3, b"gold") in mk
    hw = run(row, nas=SimpleNamespace(**{**vars(NAS), "vendor": "huawei"})).attributes
    assert P.encode_vsa(2011, 2, (1024000).to_bytes(4, "big")) in hw
    assert P.encode_vsa(2011, 6, (8192000).to_bytes(4, "big")) in hw


def test_ipv6_pools_follow_the_standing():
    """Framed-IPv6-Pool and Delegated-IPv6-Prefix-Pool come with the IPv4 pool of the same
    standing (contract v3); while expiring the normal ones stand in for unset ones."""
    v6 = {"pool6_normal": "v6", "pd_pool_normal": "pd", "pool6_expired": "v6-x"}
    v6["pool_expired"] = "x"
    d = run(account(**v6))
    assert attrs(d)[P.FRAMED_IPV6_POOL] == [b"v6"]
    assert attrs(d)[P.DELEGATED_IPV6_PREFIX_POOL] == [b"pd"]
    d = run(account(**v6, expiry_at=NOW + timedelta(days=2)))
    assert attrs(d)[P.FRAMED_IPV6_POOL] == [b"v6"]
    d = run(account(**v6, expiry_at=NOW - timedelta(days=2)))
    assert attrs(d)[P.FRAMED_POOL] == [b"x"]
    assert attrs(d)[P.FRAMED_IPV6_POOL] == [b"v6-x"]
    assert P.DELEGATED_IPV6_PREFIX_POOL not in attrs(d)
    assert P.FRAMED_IPV6_POOL not in attrs(run(account()))
