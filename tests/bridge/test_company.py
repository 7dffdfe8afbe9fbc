"""One database, several companies (ISPs or branches): a NAS serves only its own company's
accounts (contract 4's ``company_id`` on ``account`` and ``nas``), over real UDP."""

from __future__ import annotations

import time

import pytest
from pyrad import packet

from radius_bridge.testing import Controller

from .bridgekit import AUTH_PORT, access_request, make_config, pyrad_client, send_raw, sql
from .test_hostile import _mschap_request
from .test_nas_reload import _add_nas, _answer, _seconds_until

IP, SECRET = "127.0.0.31", "company-two-secret"


def _set_company(dsn, user: str, company: int | None) -> None:
    sql(dsn, "UPDATE zm_radius.account SET company_id = $2 WHERE username = $1", user, company,
        fetch="execute")  # fmt: skip


def _reason(dsn, user: str):
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        rows = sql(dsn, "SELECT reason FROM zm_radius.auth_log WHERE username = $1 "
                   "ORDER BY at DESC LIMIT 1", user)  # fmt: skip
        if rows:
            return rows[0]["reason"]
        time.sleep(0.05)
    return None


def test_nas_serves_only_its_company(bridge, bridge_db, nas_rows):
    """Company 1's subscriber is refused at company 2's NAS (reason in the log, a generic
    reply on the wire) and accepted at a NAS without company; company 2's subscriber and an
    account without company are accepted at company 2's NAS."""
    _add_nas(bridge_db, nas_rows, 31, IP, SECRET)
    sql(bridge_db, "UPDATE zm_radius.nas SET company_id = 2 WHERE id = 31", fetch="execute")
    try:
        _set_company(bridge_db, "user811", 1)
        _set_company(bridge_db, "user812", 2)
        _seconds_until(packet.AccessAccept, SECRET, IP, "user812")
        assert _answer(SECRET, IP, "user811") == packet.AccessReject
        assert _reason(bridge_db, "user811") == "nas of another company"
        assert _answer(SECRET, IP, "user813") == packet.AccessAccept  # no company: any NAS
        assert _answer("testing123", "127.0.0.1", "user811") is not None
    finally:
        for user in ("user811", "user812"):
            _set_company(bridge_db, user, None)


def test_account_moved_to_another_company_is_refused_at_once(bridge, bridge_db, nas_rows):
    """An account accepted at company 2's NAS, then moved to company 1 (the change feed), is
    refused there from the next request: the cached answer does not outlive the move."""
    _add_nas(bridge_db, nas_rows, 32, "127.0.0.32", SECRET)
    sql(bridge_db, "UPDATE zm_radius.nas SET company_id = 2 WHERE id = 32", fetch="execute")
    try:
        _set_company(bridge_db, "user814", 2)
        _seconds_until(packet.AccessAccept, SECRET, "127.0.0.32", "user814")
        _set_company(bridge_db, "user814", 1)
        _seconds_until(packet.AccessReject, SECRET, "127.0.0.32", "user814")
    finally:
        _set_company(bridge_db, "user814", None)


def _mschap_error(user: str, password: str, wrong: bool, port: int) -> tuple:
    client = pyrad_client(secret=SECRET)
    req = _mschap_request(client, user, password, wrong)
    raw = send_raw(req.RequestPacket(), port=port, src_ip=IP, timeout=2)
    assert raw is not None
    reply = packet.AuthPacket(packet=raw, secret=SECRET.encode(), dict=client.dict)
    errors = reply.get("MS-CHAP-Error") or [b""]
    return raw[0], errors[0][1:], reply.get("Reply-Message")


def test_another_companys_nas_learns_nothing_of_the_password(bridge, bridge_db, nas_rows):
    """Through company 2's NAS a company-1 subscriber with the right MS-CHAPv2 password gets
    the very reply of a wrong password or of a name no account has (691): no password
    oracle for another company's NAS."""
    _add_nas(bridge_db, nas_rows, 33, IP, SECRET)
    sql(bridge_db, "UPDATE zm_radius.nas SET company_id = 2 WHERE id = 33", fetch="execute")
    _set_company(bridge_db, "user815", 1)
    try:
        _seconds_until(packet.AccessReject, SECRET, IP, "user815")
        right = _mschap_error("user815", "pass815", False, AUTH_PORT)
        wrong = _mschap_error("user815", "pass815", True, AUTH_PORT)
        nobody = _mschap_error("nobody-816", "x", False, AUTH_PORT)
        assert right[:2] == (packet.AccessReject, b"E=691 R=0 V=3")
        assert right == wrong == nobody
    finally:
        _set_company(bridge_db, "user815", None)


@pytest.fixture(scope="module")
def telling_bridge(bridge_db):
    """A bridge that sends reject reasons to the client ([policy] reject_reasons)."""
    config = make_config(bridge_db, 22211, 22212, policy={"reject_reasons": True})
    with Controller(config) as ctl:
        yield ctl


def test_reason_sent_to_the_client_is_unknown_user(telling_bridge, bridge_db, nas_rows):
    """Even a bridge told to send reasons tells a client of another company's NAS only
    'unknown user'; the login log keeps the real reason."""
    _add_nas(bridge_db, nas_rows, 34, IP, SECRET)
    sql(bridge_db, "UPDATE zm_radius.nas SET company_id = 2 WHERE id = 34", fetch="execute")
    _set_company(bridge_db, "user817", 1)
    try:
        client = pyrad_client(secret=SECRET, port=22211)
        raw = None
        for _ in range(60):  # the new NAS reaches this bridge within a second
            req = access_request(client, "user817", "pass817")
            raw = send_raw(req.RequestPacket(), port=22211, src_ip=IP, timeout=0.2)
            if raw is not None:
                break
        assert raw is not None and raw[0] == packet.AccessReject
        reply = packet.AuthPacket(packet=raw, secret=SECRET.encode(), dict=client.dict)
        assert reply["Reply-Message"] == ["unknown user"]
        assert _reason(bridge_db, "user817") == "nas of another company"
    finally:
        _set_company(bridge_db, "user817", None)


def test_another_companys_account_costs_no_password_work(monkeypatch):
    """At another company's NAS the account's password is never checked — no crypt job,
    no NT hash — so the NAS cannot time whether the name or the password is right."""
    from types import SimpleNamespace

    from radius_bridge import auth, handlers
    from radius_bridge import packets as P
    from zm_rules.contract import ACCOUNT

    def boom(*args, **kwargs):
        raise AssertionError("password work for another company's account")

    for name in ("check_pap", "check_chap", "check_mschap2", "needs_crypt"):
        monkeypatch.setattr(auth, name, boom)
    client = pyrad_client(secret=SECRET)
    nas = SimpleNamespace(id=9, secret=SECRET.encode(), company_id=2, strip_realm=False)
    row = dict.fromkeys(ACCOUNT.column_names)
    row.update(company_id=1, password_clear="pw", password_crypt="$6$x$y", nt_hash="0" * 32)
    requests = {
        "pap": access_request(client, "u", "pw"),
        "mschapv2": _mschap_request(client, "u", "pw"),
    }
    chap = client.CreateAuthPacket(User_Name="u")
    chap["CHAP-Password"] = b"\x01" + bytes(16)
    requests["chap"] = chap
    for method, req in requests.items():
        parsed = P.parse(req.RequestPacket())
        found, ok, _ = handlers.AuthHandler._check_password(None, parsed, nas, row, None)
        assert (found, ok) == (method, False)
