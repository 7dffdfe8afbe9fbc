"""Accounting that never loses or doubles a record (issue 9), over real UDP and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from radius_bridge.testing import Controller

from .bridgekit import ACCT_PORT, TableLock, acct_packet, burst, make_config, sql

STATUS = {"Start": 1, "Stop": 2, "Interim-Update": 3}


def record(status, sid, user="user71", port="p1", values=None):
    """(type, value) pairs of an accounting record; ``values`` by attribute number."""
    attrs = [(40, STATUS[status]), (44, sid), (1, user), (87, port)]
    attrs += list((values or {}).items())
    return attrs


def send(attrs, port=ACCT_PORT, secret="testing123") -> bool:
    return bool(burst([acct_packet(attrs, secret, ident=0)], port, timeout=3))


def history(dsn, sid):
    return sql(
        dsn,
        "SELECT * FROM zm_radius.session_history WHERE acct_session_id = $1 ORDER BY started_at",
        sid,
    )


def live(dsn, sid):
    return sql(dsn, "SELECT * FROM zm_radius.session WHERE acct_session_id = $1", sid)


def usage(dsn, user):
    return sql(
        dsn,
        "SELECT coalesce(sum(session_time), 0)::bigint AS t, coalesce(sum(input_bytes), 0)::bigint"
        " AS i, coalesce(sum(output_bytes), 0)::bigint AS o FROM zm_radius.usage_counter "
        "WHERE username = $1",
        user,
        fetch="fetchrow",
    )


def test_nul_in_any_text_attribute_affects_no_other_record(bridge, bridge_db):
    """One record with NUL / invalid UTF-8 in its text attributes, amid 40 good ones in the
    same burst: every record is answered and stored, the bad text safely."""
    now = int(time.time())
    packets = []
    for i in range(41):
        values = {55: now}
        if i == 20:
            values.update(
                {31: b"AA\x00BB\xff", 30: b"\x00", 25: b"zm:\x00\xfe", 8: b"\x0a\x00\x00\x01"}
            )
            attrs = record("Start", b"nul\x00sid", user=b"user72\x00", port=b"eth\x00\xc3")
        else:
            attrs = record("Start", f"burst-{i}", user="user72")
        attrs += list(values.items())
        packets.append(acct_packet(attrs, ident=i))
    replies = burst(packets, ACCT_PORT)
    assert sorted(replies) == list(range(41))
    stored = sql(
        bridge_db,
        "SELECT acct_session_id, calling_station_id, username FROM zm_radius.session "
        "WHERE acct_session_id LIKE 'burst-%' OR acct_session_id LIKE 'nul%'",
    )
    assert len(stored) == 41
    bad = next(r for r in stored if r["acct_session_id"].startswith("nul"))
    assert (
        bad["acct_session_id"] == "nul\ufffdsid" and bad["calling_station_id"] == "AA\ufffdBB\ufffd"
    )
    assert bad["username"] == "user72\ufffd"


def test_stop_after_stale_close_by_a_slow_nas_clock_counts(bridge_db):
    """A NAS whose clock is an hour slow: its live session is not closed as stale (judged on
    arrival), and its Stop carrying 2 GB lands in usage."""
    cfg = make_config(bridge_db, 22101, 22102, accounting={"interim_interval": 1})
    slow = int(time.time()) - 3600
    with Controller(cfg) as ctl:
        assert send(record("Start", "slow-1", user="user73", values={55: slow}), port=22102)
        ctl.run(ctl.server.writer.sweep_stale())
        assert len(live(bridge_db, "slow-1")) == 1
        stop = record("Stop", "slow-1", user="user73", values={55: slow + 2, 46: 2, 42: 2 << 30})
        assert send(stop, port=22102)
    assert history(bridge_db, "slow-1")[0]["input_bytes"] == 2 << 30
    assert usage(bridge_db, "user73")["i"] == 2 << 30


def test_stale_closed_session_is_corrected_once(bridge_db):
    """A session closed as stale and heard of again: an Interim reopens it, the Stop closes it
    for real; its usage is counted exactly once."""
    cfg = make_config(bridge_db, 22103, 22104, accounting={"interim_interval": 1})
    t0 = int(time.time()) - 100
    with Controller(cfg) as ctl:
        assert send(record("Start", "stale-c", user="user74", values={55: t0}), port=22104)
        time.sleep(3.2)
        assert ctl.run(ctl.server.writer.sweep_stale()) >= 1
        assert history(bridge_db, "stale-c")[0]["closed_by"] == "stale"
        interim = record(
            "Interim-Update", "stale-c", user="user74", values={55: t0 + 50, 46: 50, 42: 1000}
        )
        assert send(interim, port=22104)
        assert len(live(bridge_db, "stale-c")) == 1 and history(bridge_db, "stale-c") == []
        stop = record(
            "Stop", "stale-c", user="user74", values={55: t0 + 90, 46: 90, 42: 3000, 43: 7}
        )
        assert send(stop, port=22104)
        assert send(stop, port=22104)  # a resend
    rows = history(bridge_db, "stale-c")
    assert [(r["closed_by"], r["input_bytes"]) for r in rows] == [("stop", 3000)]
    assert tuple(usage(bridge_db, "user74")) == (90, 3000, 7)


def test_reused_session_id_is_a_new_session(bridge, bridge_db):
    """Same NAS, user, port and Acct-Session-Id after a NAS reboot: a second session, stored."""
    t0 = int(time.time()) - 7200
    for start in (t0, t0 + 3600):
        assert send(record("Start", "reused", user="user75", values={55: start}))
        stop = record("Stop", "reused", user="user75", values={55: start + 60, 46: 60, 42: 100})
        assert send(stop)
    rows = history(bridge_db, "reused")
    assert [r["started_at"] for r in rows] == [
        datetime.fromtimestamp(t0, UTC),
        datetime.fromtimestamp(t0 + 3600, UTC),
    ]
    assert tuple(usage(bridge_db, "user75")) == (120, 200, 0)


def test_reused_id_while_old_session_live_supersedes_it(bridge, bridge_db):
    """A Start with a reused id while the old session is still live (no Accounting-On):
    the old one is closed as superseded, the new one is live."""
    t0 = int(time.time()) - 7200
    assert send(record("Start", "reused-live", user="user76", values={55: t0}))
    assert send(record("Start", "reused-live", user="user76", values={55: t0 + 3600}))
    assert [r["closed_by"] for r in history(bridge_db, "reused-live")] == ["superseded"]
    assert live(bridge_db, "reused-live")[0]["started_at"] == datetime.fromtimestamp(t0 + 3600, UTC)


@pytest.fixture(scope="module")
def two_bridges(bridge_db):
    with (
        Controller(make_config(bridge_db, 22105, 22106)) as a,
        Controller(make_config(bridge_db, 22107, 22108)) as b,
    ):
        yield a, b


def _both(packets, dsn, waiters: int):
    """Send the same burst to the two bridges while usage_counter is locked, so both
    bridges' transactions overlap for certain; then release. Replies of each."""
    out = [None, None]

    def run(i, port):
        out[i] = burst(packets, port, timeout=20)

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in ((0, 22106), (1, 22108))]
    with TableLock(dsn, "zm_radius.usage_counter") as lock:
        for t in threads:
            t.start()
        lock.waiting(waiters)
    for t in threads:
        t.join()
    return out


def _stop_twice(bridge_db, prefix: str, started: bool) -> None:
    """One Stop at a time to both bridges at once (a burst could be batched differently by
    each bridge, so that their commits touch different keys and never overlap)."""
    t0 = int(time.time()) - 600
    n = 5
    user = "user77" if started else "user70"
    for i in range(n):
        sid = f"{prefix}-{i}"
        if started:
            assert send(record("Start", sid, user=user, values={55: t0}), port=22106)
        stop = record("Stop", sid, user=user, values={55: t0 + 60, 46: 60, 42: 10})
        a, b = _both([acct_packet(stop, ident=i)], bridge_db, 2)
        assert len(a) == 1 and len(b) == 1
    counts = sql(
        bridge_db,
        "SELECT acct_session_id, count(*) AS n FROM zm_radius.session_history "
        "WHERE acct_session_id LIKE $1 GROUP BY 1",
        f"{prefix}-%",
    )
    assert len(counts) == n and {r["n"] for r in counts} == {1}
    assert tuple(usage(bridge_db, user)) == (60 * n, 10 * n, 0)


def test_concurrent_stops_of_live_sessions_on_two_bridges_record_once(two_bridges, bridge_db):
    """The same Stops of live sessions reach two bridges at the same moment (NAS failover):
    one history row each, usage counted once."""
    _stop_twice(bridge_db, "dual", started=True)


def test_concurrent_stops_without_start_on_two_bridges_record_once(two_bridges, bridge_db):
    """The same Stops of sessions never started reach two bridges at once: one row each."""
    _stop_twice(bridge_db, "dual-ns", started=False)


def test_usage_counted_on_interim_and_split_by_natural_day(bridge, bridge_db):
    """An account on a natural-day quota (Asia/Shanghai): usage is counted at the Interim,
    before any Stop, and split between the two local days the session crossed."""
    sql(
        bridge_db,
        "UPDATE zm_radius.account SET quota_period = 'natural_day', time_zone = 'Asia/Shanghai' "
        "WHERE username = 'user78'",
        fetch="execute",
    )
    time.sleep(0.8)  # the change feed evicts the account if a login had cached it
    zone = ZoneInfo("Asia/Shanghai")
    midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    m = int(midnight.timestamp())
    if time.time() - m < 700:
        m -= 86400  # too close to today's midnight: use yesterday's (still within a day)
    assert send(record("Start", "split", user="user78", values={55: m - 600}))
    assert send(
        record(
            "Interim-Update",
            "split",
            user="user78",
            values={55: m + 600, 46: 1200, 42: 1200, 43: 2400},
        )
    )
    rows = sql(
        bridge_db,
        "SELECT period_start, session_time, input_bytes, output_bytes FROM zm_radius.usage_counter "
        "WHERE username = 'user78' ORDER BY period_start",
    )
    day = datetime.fromtimestamp(m, UTC)
    assert [tuple(r) for r in rows] == [
        (day - timedelta(days=1), 600, 600, 1200),
        (day, 600, 600, 1200),
    ]


def test_32_bit_wrap_detected_without_gigawords(bridge, bridge_db):
    """A NAS that sends no Gigawords: Octets going down in a newer Interim is a wrap."""
    t0 = int(time.time()) - 900
    assert send(record("Start", "wrap", user="user79", values={55: t0}))
    assert send(
        record(
            "Interim-Update",
            "wrap",
            user="user79",
            values={55: t0 + 300, 46: 300, 42: 4_000_000_000},
        )
    )
    assert send(
        record("Interim-Update", "wrap", user="user79", values={55: t0 + 600, 46: 600, 42: 500})
    )
    # a late resend of the first Interim is not a second wrap
    assert send(
        record(
            "Interim-Update",
            "wrap",
            user="user79",
            values={55: t0 + 300, 46: 300, 42: 4_000_000_000},
        )
    )
    assert live(bridge_db, "wrap")[0]["input_bytes"] == (1 << 32) + 500
    assert usage(bridge_db, "user79")["i"] == (1 << 32) + 500


def test_acct_delay_time_is_bounded(bridge, bridge_db):
    """A huge Acct-Delay-Time cannot date a record decades back (or create a partition there)."""
    assert send(record("Start", "delay", user="user80", values={41: 0xFFFFFFF0}))
    started = live(bridge_db, "delay")[0]["started_at"]
    assert started > datetime.now(UTC) - timedelta(days=2)


def test_malformed_text_user_name_never_blocks_auth_log(bridge, bridge_db):
    """An Access-Request with NUL in Calling-Station-Id: its decision and the next ones are
    logged (the auth-log batch is not poisoned)."""
    from .bridgekit import auth_packet

    bad = auth_packet([(1, "user81"), (31, b"00\x00bad")], password=b"pass81")
    assert burst([bad], 21830)
    good = auth_packet([(1, "user82"), (31, "00-11")], password=b"pass82")
    assert burst([good], 21830)
    deadline = time.monotonic() + 5
    rows = []
    while time.monotonic() < deadline and len(rows) < 2:
        rows = sql(
            bridge_db,
            "SELECT username, calling_station_id FROM zm_radius.auth_log "
            "WHERE username IN ('user81', 'user82') ORDER BY username",
        )
        time.sleep(0.1)
    assert [tuple(r) for r in rows] == [("user81", "00\ufffdbad"), ("user82", "00-11")]


def test_nul_in_user_name_does_not_fail_a_shared_lookup(bridge):
    """Cold-cache logins sharing one lookup with a User-Name holding NUL are answered."""
    from .bridgekit import auth_packet

    packets = [auth_packet([(1, b"user83\x00x")], password=b"pass83", ident=0)]
    packets += [auth_packet([(1, f"user{n}")], password=f"pass{n}".encode(), ident=i + 1)
                for i, n in enumerate(range(84, 90))]  # fmt: skip
    replies = burst(packets, 21830)
    assert sorted(replies) == list(range(7))
    assert replies[0][0] == 3 and all(replies[i][0] == 2 for i in range(1, 7))
