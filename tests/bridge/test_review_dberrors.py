"""A sick database is not bad data (issue-9 review): disk full, timeouts, I/O errors spool
the records — acknowledged, replayed once the server is well — and never refuse them."""

from __future__ import annotations

import time

import pytest

from radius_bridge.testing import Controller

from .bridgekit import acct_packet, burst, make_config, sql
from .test_integrity import record, usage

TRIGGER = """
CREATE OR REPLACE FUNCTION zm_radius.review_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.username = '{user}' THEN
    RAISE EXCEPTION 'simulated server failure' USING ERRCODE = '{errcode}';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER review_fail BEFORE INSERT OR UPDATE ON zm_radius.{table}
  FOR EACH ROW EXECUTE FUNCTION zm_radius.review_fail();
"""
DROP = "DROP TRIGGER IF EXISTS review_fail ON zm_radius.{table}"


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _stops(prefix, user, n, t0):
    return [
        acct_packet(record("Stop", f"{prefix}-{i}", user=user,
                           values={55: t0 + 60, 46: 60, 42: 100, 43: 1}), ident=i)
        for i in range(n)
    ]  # fmt: skip


# disk_full 53100 (a full tablespace), query_canceled 57014 (statement_timeout),
# io_error 58030, lock_not_available 55P03 (lock_timeout), out_of_memory 53200,
# read_only_sql_transaction 25006 (a replica after failover).
@pytest.mark.parametrize("errcode", ["disk_full", "query_canceled", "io_error",
                                     "lock_not_available", "out_of_memory",
                                     "read_only_sql_transaction"])  # fmt: skip
def test_server_failure_spools_and_replays_never_refuses(bridge_db, errcode):
    user = "user116"
    sql(bridge_db, "DELETE FROM zm_radius.usage_counter WHERE username = $1", user,
        fetch="execute")  # fmt: skip
    sql(bridge_db, TRIGGER.format(user=user, errcode=errcode, table="usage_counter"),
        fetch="execute")  # fmt: skip
    prefix = f"sick-{errcode}"
    try:
        with Controller(make_config(bridge_db, 22311, 22312)) as ctl:
            replies = burst(_stops(prefix, user, 5, int(time.time()) - 300), 22312, timeout=10)
            assert len(replies) == 5  # acknowledged: on the spool's disk
            assert ctl.metrics.get("dropped_total", "accounting_refused") == 0
            assert ctl.server.writer.spooling
            stored = "SELECT count(*) FROM zm_radius.session_history WHERE acct_session_id LIKE $1"
            assert sql(bridge_db, stored, f"{prefix}-%", fetch="fetchval") == 0
            sql(bridge_db, DROP.format(table="usage_counter"), fetch="execute")
            _wait(lambda: not ctl.server.writer.spooling)
        assert sql(bridge_db, stored, f"{prefix}-%", fetch="fetchval") == 5
        assert tuple(usage(bridge_db, user)) == (300, 500, 5)
    finally:
        sql(bridge_db, DROP.format(table="usage_counter"), fetch="execute")


def test_one_records_data_error_still_isolates_it(bridge_db):
    """A constraint violation caused by one record's data drops that record alone."""
    user = "user117"
    sql(bridge_db, TRIGGER.format(user=user, errcode="check_violation", table="session_history"),
        fetch="execute")  # fmt: skip
    try:
        with Controller(make_config(bridge_db, 22313, 22314)) as ctl:
            t0 = int(time.time()) - 300
            packets = _stops("bad-data", user, 1, t0) + [
                acct_packet(record("Stop", f"good-data-{i}", user="user118",
                                   values={55: t0 + 60, 46: 60}), ident=10 + i)
                for i in range(5)
            ]  # fmt: skip
            replies = burst(packets, 22314, timeout=5)
            assert sorted(replies) == [1, 2, 3, 4, 5]
            assert ctl.metrics.get("dropped_total", "accounting_refused") == 1
            assert not ctl.server.writer.spooling
    finally:
        sql(bridge_db, DROP.format(table="session_history"), fetch="execute")
