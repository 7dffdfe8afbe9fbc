"""One database, several companies (ISPs or branches): a NAS serves only its own company's
accounts (contract 4's ``company_id`` on ``account`` and ``nas``), over real UDP."""

from __future__ import annotations

import time

from pyrad import packet

from .bridgekit import sql
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
