"""The identity rules of ``sessions.apply`` on their own (pure: no I/O), beside the UDP tests."""

from __future__ import annotations

from radius_bridge import sessions
from radius_bridge.records import INTERIM, START, STOP, Record

T0 = 1_790_000_000


def rec(kind, at, st=None, i=0, guessed=False) -> Record:
    r = Record()
    r.kind, r.nas_id, r.session_id, r.username, r.port_id = kind, 1, "s", "u", ""
    r.at, r.seen, r.guessed = at, at, guessed
    r.session_time = 0 if kind == START else st
    r.in_octets, r.in_giga, r.out_octets, r.out_giga = i, None, 0, None
    r.framed_ip = r.calling = r.called = r.nas_port = r.klass = r.cause = None
    return r


def decide(r, live=None, history=()):
    plan = sessions.Plan()
    outcome = sessions.apply(plan, r, live, False, list(history), 60, 300)
    return outcome, plan


def live_row(start, updated, st, i):
    row = sessions.new_row(rec(INTERIM, updated, st, i), 300)
    row["started_at"], row["updated_at"] = start, updated
    return row


def test_late_interim_with_lower_counters_is_the_same_session_and_counts_nothing():
    live = live_row(T0, T0 + 900, 900, 9000)
    outcome, plan = decide(rec(INTERIM, T0 + 300, 300, 3000), live)
    assert outcome == "live" and plan.usage == [] and plan.history_put == []


def test_start_resend_after_interims_changes_nothing():
    live = live_row(T0, T0 + 600, 600, 6000)
    outcome, plan = decide(rec(START, T0), live)
    assert outcome == "live" and plan.usage == [] and not plan.live_put


def test_guessed_start_after_a_stop_is_no_evidence_of_a_new_session():
    stop = sessions.closed(live_row(T0, T0 + 60, 60, 100), T0 + 60, None, "stop")
    outcome, plan = decide(rec(START, T0 + 7200, guessed=True), history=[stop])
    assert outcome == "late" and plan.usage == []


def test_superseded_session_is_corrected_never_reopened():
    old = sessions.closed(live_row(T0, T0 + 60, 60, 100), T0 + 60, None, "superseded")
    outcome, plan = decide(rec(INTERIM, T0 + 120, 120, 300), history=[old])
    assert outcome == "corrected" and not plan.live_put
    assert [u[3] for u in plan.usage] == [(60, 200, 0)]  # only the increase


def test_stop_after_stale_close_counts_only_the_increase():
    stale = sessions.closed(live_row(T0, T0 + 300, 300, 1000), T0 + 300, None, "stale")
    outcome, plan = decide(rec(STOP, T0 + 5000, None, 1500), history=[stale])
    assert outcome == "corrected" and [u[3] for u in plan.usage] == [(0, 500, 0)]
    assert [h["closed_by"] for h in plan.history_put] == ["stop"]
