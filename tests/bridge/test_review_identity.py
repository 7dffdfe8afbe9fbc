"""Session identity against a NAS's clock (issue-9 review): the key is the session unless
there is positive evidence of another, usage is counted once, and an Accounting-On closes
only what began before it. Real UDP, real PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from radius_bridge.testing import Controller

from .bridgekit import acct_packet, burst, make_config
from .test_integrity import history, live, record, send, usage

ROAMING = "127.0.0.6"  # NAS 3, known by NAS-Identifier: its Accounting-On touches no other test


def roaming(attrs) -> bool:
    data = acct_packet(list(attrs) + [(32, "roaming-nas")], secret="roam-secret", ident=0)
    return bool(burst([data], 21831, src_ip=ROAMING, timeout=3))


def accounting_on(at: int, delay: int | None = None) -> bool:
    attrs = [(40, 7), (55, at)] + ([(41, delay)] if delay is not None else [])
    return roaming(attrs)


def _closed_by(dsn, sid):
    return [(r["closed_by"], r["input_bytes"]) for r in history(dsn, sid)]


def test_nas_clock_stepped_back_between_interims_counts_once(bridge, bridge_db):
    """NTP steps the NAS clock back by 120 s mid-session: the session's computed start moves
    by 120 s, yet it is the same session, its usage counted once (before: 3 GB became 5 GB)."""
    user, sid, n, skew = "user121", "clock-step", int(time.time()), 120
    assert send(record("Start", sid, user=user, values={55: n - 2000 + skew, 46: 0}))
    assert send(record("Interim-Update", sid, user=user,
                       values={55: n - 1700 + skew, 46: 300, 42: 1_000_000_000}))  # fmt: skip
    assert send(record("Interim-Update", sid, user=user,
                       values={55: n - 1400, 46: 600, 42: 2_000_000_000}))  # fmt: skip
    assert send(record("Stop", sid, user=user,
                       values={55: n - 1100, 46: 900, 42: 3_000_000_000, 49: 1}))  # fmt: skip
    assert tuple(usage(bridge_db, user)) == (900, 3_000_000_000, 0)
    assert _closed_by(bridge_db, sid) == [("stop", 3_000_000_000)] and live(bridge_db, sid) == []


def test_garbage_acct_delay_time_counts_once(bridge, bridge_db):
    """One Interim with Acct-Delay-Time 2³²−1 and no Event-Timestamp: its time is a guess,
    never a reason to see another session (before: counted as a second session, doubled)."""
    user, sid = "user122", "delay-garbage"
    assert send(record("Start", sid, user=user, values={46: 0, 41: 0}))
    assert send(record("Interim-Update", sid, user=user,
                       values={46: 0, 42: 1_000_000_000, 41: 0xFFFFFFFF}))  # fmt: skip
    assert send(record("Stop", sid, user=user, values={46: 5, 42: 1_000_000_100, 41: 0, 49: 1}))
    assert usage(bridge_db, user)["i"] == 1_000_000_100
    assert _closed_by(bridge_db, sid) == [("stop", 1_000_000_100)] and live(bridge_db, sid) == []
    started = history(bridge_db, sid)[0]["started_at"]
    assert abs(started.timestamp() - time.time()) < 30  # not a day back


def test_stale_closed_session_heard_again_without_session_time_counts_once(bridge_db):
    """A session closed by the sweep, then heard of by an Interim and a Stop without
    Acct-Session-Time dated long after the close: continued and counted once (before: a second
    session counted from zero, 2.6 GB for 1.6 GB)."""
    user, sid = "user123", "stale-nost"
    cfg = make_config(bridge_db, 22331, 22332, accounting={"interim_interval": 1})
    t0 = int(time.time()) - 600
    with Controller(cfg) as ctl:
        assert send(record("Start", sid, user=user, values={55: t0, 46: 0}), port=22332)
        assert send(record("Interim-Update", sid, user=user,
                           values={55: t0 + 10, 42: 1_000_000_000}), port=22332)  # fmt: skip
        time.sleep(3.2)
        assert ctl.run(ctl.server.writer.sweep_stale()) >= 1
        assert _closed_by(bridge_db, sid) == [("stale", 1_000_000_000)]
        assert send(record("Interim-Update", sid, user=user,
                           values={55: t0 + 300, 42: 1_500_000_000}), port=22332)  # fmt: skip
        assert len(live(bridge_db, sid)) == 1  # reopened: it was alive after all
        assert send(record("Stop", sid, user=user,
                           values={55: t0 + 400, 42: 1_600_000_000, 49: 1}), port=22332)  # fmt: skip
    assert usage(bridge_db, user)["i"] == 1_600_000_000
    assert _closed_by(bridge_db, sid) == [("stop", 1_600_000_000)]


def test_retransmitted_accounting_on_keeps_sessions_begun_after_the_reboot(bridge, bridge_db):
    """An Accounting-On arriving late (Event-Timestamp and Acct-Delay-Time say the NAS booted
    20 s ago) closes the sessions begun before the reboot only, not the Start that came after
    it (before: every session last heard of before the On's arrival was closed)."""
    n = int(time.time())
    assert roaming(record("Start", "before-boot", user="user124", values={55: n - 100}))
    assert roaming(record("Start", "after-boot", user="user124", values={55: n - 10}))
    assert accounting_on(n - 20, delay=20)
    assert len(live(bridge_db, "after-boot")) == 1
    assert live(bridge_db, "before-boot") == []
    assert [r["closed_by"] for r in history(bridge_db, "before-boot")] == ["nas_reboot"]


def test_record_dated_before_the_reboot_does_not_reopen_the_session(bridge, bridge_db):
    """A late copy of an Interim dated before an Accounting-On (a retransmission, another
    bridge's spool) corrects the closed session but does not bring it back to life (before: a
    phantom live session, and a limit-1 subscriber refused after re-dialling). A record dated
    after the On with the same start — the NAS kept the session — does reopen it."""
    sid, user, n = "reboot-late", "user125", int(time.time())
    assert roaming(record("Start", sid, user=user, values={55: n - 60}))
    assert roaming(record("Interim-Update", sid, user=user, values={55: n - 30, 46: 30, 42: 1000}))
    assert accounting_on(n - 5)
    assert live(bridge_db, sid) == [] and _closed_by(bridge_db, sid) == [("nas_reboot", 1000)]
    late = record("Interim-Update", sid, user=user, values={55: n - 30, 46: 30, 42: 1000, 41: 20})
    assert roaming(late)
    assert live(bridge_db, sid) == [] and _closed_by(bridge_db, sid) == [("nas_reboot", 1000)]
    assert roaming(record("Interim-Update", sid, user=user, values={55: n - 1, 46: 59, 42: 3000}))
    assert len(live(bridge_db, sid)) == 1 and history(bridge_db, sid) == []
    assert usage(bridge_db, user)["i"] == 3000


def test_reused_id_after_reboot_is_a_new_session_counted_apart(bridge, bridge_db):
    """Positive evidence of a new session is still honoured: an Interim whose Session-Time
    went down from 22 hours to 5 minutes, dated after the live session's last record (the NAS
    rebooted, reused the id, its Start and Accounting-On lost) supersedes the live session;
    and after an Accounting-On, a record dated after it without Session-Time starts anew.
    Each session's usage is counted once."""
    user, sid, n = "user126", "reused-after-reboot", int(time.time())
    t0 = n - 80_000
    assert send(record("Start", sid, user=user, values={55: t0}))
    assert send(record("Interim-Update", sid, user=user,
                       values={55: t0 + 79_000, 46: 79_000, 42: 50_000}))  # fmt: skip
    assert send(record("Interim-Update", sid, user=user,
                       values={55: n - 300, 46: 300, 42: 700}))  # fmt: skip
    assert _closed_by(bridge_db, sid) == [("superseded", 50_000)]
    row = live(bridge_db, sid)[0]
    assert row["started_at"] == datetime.fromtimestamp(n - 600, UTC)
    assert usage(bridge_db, user)["i"] == 50_700
    other = "reused-after-on"
    assert roaming(record("Start", other, user=user, values={55: n - 200}))
    assert roaming(record("Interim-Update", other, user=user, values={55: n - 150, 42: 400}))
    assert accounting_on(n - 100)
    assert roaming(record("Interim-Update", other, user=user, values={55: n - 50, 42: 90}))
    assert [r["closed_by"] for r in history(bridge_db, other)] == ["nas_reboot"]
    assert live(bridge_db, other)[0]["input_bytes"] == 90
    assert usage(bridge_db, user)["i"] == 50_700 + 400 + 90
