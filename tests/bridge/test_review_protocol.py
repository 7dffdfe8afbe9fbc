"""Protocol findings of the issue-9 review: dual-stack sockets, RFC 3579 / 2865 corners."""

from __future__ import annotations

import hashlib
import os
import time

from pyrad import packet

from radius_bridge.testing import Controller

from .bridgekit import AUTH_PORT, acct_packet, auth_packet, burst, make_config, send_raw, sql


def _auth_log_reason(dsn, user, timeout=5.0):
    """The reason of the user's latest logged rejection (the log is written in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = sql(dsn, "SELECT reason FROM zm_radius.auth_log WHERE username = $1 "
                   "AND result = 'reject' ORDER BY at DESC LIMIT 1", user)  # fmt: skip
        if rows or time.monotonic() > deadline:
            return rows[0]["reason"] if rows else None
        time.sleep(0.05)


def test_dual_stack_host_serves_ipv4_nas(bridge_db):
    """``host = "::"``: an IPv4 NAS reaches the dual-stack socket as ::ffff:127.0.0.1 and is
    still recognised by its address (the directory knows 127.0.0.1)."""
    cfg = make_config(bridge_db, 22301, 22302, server={"host": "::"})
    with Controller(cfg) as ctl:
        reply = send_raw(auth_packet([(1, "user111")], password=b"pass111"), port=22301, timeout=2)
        assert reply is not None and reply[0] == packet.AccessAccept
        start = acct_packet([(40, 1), (44, "dual-stack"), (1, "user111")])
        assert burst([start], 22302, timeout=3)
        assert ctl.metrics.get("dropped_total", "unknown_client") == 0


def test_eap_without_message_authenticator_discarded_for_relaxed_nas(bridge):
    """RFC 3579 §3.2: EAP-Message without Message-Authenticator is silently discarded, even
    from a legacy NAS allowed to omit Message-Authenticator otherwise."""
    eap = b"\x02\x01\x00\x0a\x01user1"
    data = auth_packet([(1, "user1"), (79, eap)], secret="legacy-secret", ma=False)
    before = bridge.metrics.get("dropped_total", "eap_without_ma")
    assert send_raw(data, src_ip="127.0.0.2") is None
    assert bridge.metrics.get("dropped_total", "eap_without_ma") == before + 1
    # the same NAS's plain PAP request without Message-Authenticator is still served
    plain = auth_packet([(1, "user1")], secret="legacy-secret", password=b"pass1", ma=False)
    assert send_raw(plain, src_ip="127.0.0.2", timeout=2)[0] == packet.AccessAccept


def test_every_service_type_is_checked(bridge, bridge_db):
    """A Framed-User Service-Type first does not hide an Administrative one after it."""
    data = auth_packet([(1, "user112"), (6, 2), (6, 6)], password=b"pass112")
    assert send_raw(data, timeout=2)[0] == packet.AccessReject
    assert _auth_log_reason(bridge_db, "user112") == "service type"


def test_pap_and_chap_in_one_request_rejected(bridge, bridge_db):
    """RFC 2865 §4.1: User-Password and CHAP-Password MUST NOT both be present; such a request
    is rejected (right PAP password or not), the reason logged."""
    authenticator = os.urandom(16)
    chap = b"\x05" + hashlib.md5(b"\x05pass113" + authenticator).digest()
    data = auth_packet([(1, "user113"), (3, chap)], password=b"pass113",
                       authenticator=authenticator)  # fmt: skip
    assert send_raw(data, timeout=2)[0] == packet.AccessReject
    assert _auth_log_reason(bridge_db, "user113") == "conflicting credentials"


def test_mschapv1_rejected_as_unsupported_method(bridge, bridge_db):
    """MS-CHAPv1 is out of contract: rejected, and the auth log says why (not "bad password")."""

    def vsa(sub, value):
        inner = (311).to_bytes(4, "big") + bytes((sub, len(value) + 2)) + value
        return inner

    data = auth_packet([(1, "user114"), (26, vsa(11, os.urandom(8))),
                        (26, vsa(1, bytes(50)))])  # fmt: skip
    assert send_raw(data, port=AUTH_PORT, timeout=2)[0] == packet.AccessReject
    assert _auth_log_reason(bridge_db, "user114") == "unsupported method"
