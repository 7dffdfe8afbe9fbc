"""Session records and login-log rows carry the account's id (contract 4), so Odoo shows
them under the account that made them, even after a rename and a new account taking the
old name. Over real UDP."""

from __future__ import annotations

import time

from pyrad import packet

from zm_rules.contract import NOBODY

from .bridgekit import access_request, pyrad_client, sql
from .test_accounting import T0, history, live, send


def _account_id(dsn, user):
    return sql(dsn, "SELECT account_id FROM zm_radius.account WHERE username = $1", user)[0][0]


def _log_rows(dsn, user, count=1):
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        rows = sql(dsn, "SELECT account_id, result FROM zm_radius.auth_log WHERE username = $1",
                   user)  # fmt: skip
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"no auth_log row for {user}")


def test_login_log_rows_carry_the_account_id(bridge, bridge_db):
    """An accepted and a rejected login of a known account carry its id; an unknown name
    carries none."""
    client = pyrad_client()
    assert client.SendPacket(access_request(client, "user831", "pass831")).code == (
        packet.AccessAccept
    )
    assert client.SendPacket(access_request(client, "user832", "wrong")).code == (
        packet.AccessReject
    )
    assert client.SendPacket(access_request(client, "nobody-833", "x")).code == (
        packet.AccessReject
    )
    assert _log_rows(bridge_db, "user831")[0]["account_id"] == _account_id(bridge_db, "user831")
    assert _log_rows(bridge_db, "user832")[0]["account_id"] == _account_id(bridge_db, "user832")
    assert _log_rows(bridge_db, "nobody-833")[0]["account_id"] == NOBODY


def test_session_rows_carry_the_account_id(bridge, bridge_db):
    """Start → the live row has the account's id; Stop → so has the session record. A
    name no account has gets none (still recorded)."""
    send("Start", "aid-1", user="user834", Event_Timestamp=T0)
    assert live(bridge_db, "aid-1")[0]["account_id"] == _account_id(bridge_db, "user834")
    send("Stop", "aid-1", user="user834", Event_Timestamp=T0 + 60, Acct_Session_Time=60)
    assert history(bridge_db, "aid-1")[0]["account_id"] == _account_id(bridge_db, "user834")
    send("Start", "aid-2", user="nobody-835", Event_Timestamp=T0)
    assert live(bridge_db, "aid-2")[0]["account_id"] == NOBODY


def test_session_begun_by_an_older_bridge_gets_its_account_id(bridge, bridge_db):
    """A live row a contract-3 bridge wrote (no account id) gets it from its next record."""
    send("Start", "aid-3", user="user836", Event_Timestamp=T0)
    sql(bridge_db, "UPDATE zm_radius.session SET account_id = NULL WHERE acct_session_id = "
        "'aid-3'", fetch="execute")  # fmt: skip
    send("Interim-Update", "aid-3", user="user836", Event_Timestamp=T0 + 30,
         Acct_Session_Time=30)  # fmt: skip
    assert live(bridge_db, "aid-3")[0]["account_id"] == _account_id(bridge_db, "user836")


def test_a_session_of_nobody_stays_nobodys(bridge, bridge_db):
    """A session begun under a name no account has stays nobody's when an account takes
    that name while it runs: its Interim and Stop do not hand it over."""
    send("Start", "aid-4", user="ghost-837", Event_Timestamp=T0)
    sql(bridge_db, "INSERT INTO zm_radius.account (account_id, username, state) "
        "VALUES (990837, 'ghost-837', 'active')", fetch="execute")  # fmt: skip
    try:
        send("Interim-Update", "aid-4", user="ghost-837", Event_Timestamp=T0 + 30,
             Acct_Session_Time=30)  # fmt: skip
        assert live(bridge_db, "aid-4")[0]["account_id"] == NOBODY
        send("Stop", "aid-4", user="ghost-837", Event_Timestamp=T0 + 60, Acct_Session_Time=60)
        assert history(bridge_db, "aid-4")[0]["account_id"] == NOBODY
    finally:
        sql(bridge_db, "DELETE FROM zm_radius.account WHERE account_id = 990837",
            fetch="execute")  # fmt: skip
