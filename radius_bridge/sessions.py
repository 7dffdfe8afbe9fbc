"""Session identity and counters: one record + the rows of its key → the writes to make.

Pure (no I/O). The writer locks the live row of the record's key ``(NAS, Acct-Session-Id,
User-Name, NAS-Port-Id)`` first — the live table's primary key is the gate every writer of a
key passes, on any bridge or worker — then reads the key's recent history and asks
:func:`apply` what to write.

A NAS's clock is not trusted (NTP steps it, a garbage Acct-Delay-Time moves it), so the key
identifies the session — as FreeRADIUS keys on it — and a different start is *not* enough to
call a record another session. A record belongs to:

1. the live session, when its start (event time − Session-Time) is within
   ``match_seconds`` of the live one's;
2. else a closed session of the key whose start matches that way (a late record of an older
   session, or of one closed by the sweep, a NAS reboot or a reuse);
3. else the live session, **unless there is positive evidence of a new one**: a Start dated
   clearly after the live session's last record, or a Session-Time gone down substantially
   with a start clearly after that last record (the NAS reused the id after a reboot); or
   evidence of an *older* one (started clearly before the live session and over by its
   start);
4. else, with no live session, the closed session the record falls in (or the latest one,
   for a record dated after all of them): a session closed by Stop is final — a record
   after it is a new session only if it is a Start dated after the Stop or any record dated
   clearly after it; one closed by an Accounting-On takes no record dated after the reboot
   (that is a new session); one closed by the sweep or superseded is continued unless the
   same evidence as in 3. shows a new one;
5. else a new session.

A time marked *guessed* (``Record.guessed``) is never evidence of anything. Usage is counted
as the increase of a session's totals over what its row already holds, so a record judged to
be the same session never counts twice, and a new session is judged only on the evidence
above — whose counters cannot hold the earlier session's usage. A closed session is reopened
only by a record dated after its close: never by one from before an Accounting-On.

Rows are dicts keyed by column name; times are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import ACCT_OFF, ACCT_ON, GIGA, MAX_OCTETS, START, STOP, Record, cause_text

LIVE_COLUMNS = (
    "nas_id", "acct_session_id", "username", "nas_port_id", "started_at", "updated_at",
    "last_seen_at", "session_time", "input_bytes", "output_bytes", "framed_ip",
    "calling_station_id", "called_station_id", "nas_port", "class", "interim_interval",
    "account_id",
)  # fmt: skip
HISTORY_COLUMNS = LIVE_COLUMNS + ("stopped_at", "terminate_cause", "closed_by")
FINAL = "stop"  # the only closing no later record reopens


@dataclass
class Plan:
    """Writes for one part of a batch (keys distinct), applied by the writer in one go."""

    live_put: dict = field(default_factory=dict)  # key → row to upsert
    live_delete: set = field(default_factory=set)  # keys
    history_delete: list = field(default_factory=list)  # (key, started_at, stopped_at)
    history_put: list = field(default_factory=list)  # rows
    usage: list = field(default_factory=list)  # (username, t0, t1, (seconds, in, out))
    outcome: dict = field(default_factory=dict)  # key → what happened (metrics, tests)


def key_of(row) -> tuple:
    return (row["nas_id"], row["acct_session_id"], row["username"], row["nas_port_id"])


def new_row(rec: Record, interim: int) -> dict:
    """The live row a record describes as a session of its own."""
    start = rec.start()
    start = rec.at if start is None else start
    return {
        "nas_id": rec.nas_id,
        "acct_session_id": rec.session_id,
        "username": rec.username,
        "nas_port_id": rec.port_id,
        "started_at": int(start),
        "updated_at": int(rec.at),
        "last_seen_at": rec.seen,
        "session_time": rec.session_time or 0,
        "input_bytes": _total(rec.in_octets, rec.in_giga, 0, True),
        "output_bytes": _total(rec.out_octets, rec.out_giga, 0, True),
        "framed_ip": rec.framed_ip,
        "calling_station_id": rec.calling,
        "called_station_id": rec.called,
        "nas_port": rec.nas_port,
        "class": rec.klass,
        "interim_interval": interim,
        "account_id": None,  # the account's id, filled in by the writer once it read it
    }


def _total(octets: int, giga: int | None, previous: int, newer: bool) -> int:
    """Total bytes: Octets + 2³² × Gigawords, or — from a NAS that sends no Gigawords — the
    previous total with a 32-bit wrap detected when a newer record's Octets went down."""
    if giga is not None:
        total = octets + giga * GIGA
    elif not newer:  # an older record: its Octets say nothing about the wraps since
        total = previous
    else:
        high, low = previous - previous % GIGA, previous % GIGA
        total = high + octets
        if newer and octets < low:
            total += GIGA
    return min(max(total, previous), MAX_OCTETS)


def merge(row: dict, rec: Record) -> dict:
    """``row`` moved forward by ``rec``: counters never go back, times only forward."""
    out = dict(row)
    if rec.session_time is not None and rec.session_time != row["session_time"]:
        newer = rec.session_time > row["session_time"]
    elif rec.guessed:  # no usable time: only counters that did not go down are newer
        newer = all(
            octets >= total % GIGA
            for octets, total in ((rec.in_octets, row["input_bytes"]),
                                  (rec.out_octets, row["output_bytes"]))
        )  # fmt: skip
    else:
        newer = rec.at >= row["updated_at"]
    out["session_time"] = max(row["session_time"], rec.session_time or 0)
    out["input_bytes"] = _total(rec.in_octets, rec.in_giga, row["input_bytes"], newer)
    out["output_bytes"] = _total(rec.out_octets, rec.out_giga, row["output_bytes"], newer)
    if not rec.guessed:
        out["updated_at"] = max(row["updated_at"], int(rec.at))
    out["last_seen_at"] = max(row["last_seen_at"], rec.seen)
    for column, value in (
        ("framed_ip", rec.framed_ip),
        ("calling_station_id", rec.calling),
        ("called_station_id", rec.called),
        ("nas_port", rec.nas_port),
    ):
        if value is not None:
            out[column] = value
    if out["class"] is None:
        out["class"] = rec.klass
    return out


def closed(row: dict, stopped_at: float, cause: str | None, closed_by: str) -> dict:
    out = {k: row[k] for k in LIVE_COLUMNS}
    out["stopped_at"] = int(max(stopped_at, row["started_at"]))
    out["terminate_cause"] = cause
    out["closed_by"] = closed_by
    return out


def _start_matches(rec: Record, row: dict, match: int) -> bool:
    start = rec.start()
    return start is not None and not rec.guessed and abs(start - row["started_at"]) <= match


def _newer_session(rec: Record, row: dict, match: int) -> bool:
    """Positive evidence that ``rec`` is of a session begun after ``row``'s last record."""
    if rec.guessed:
        return False
    last = row["updated_at"]
    if rec.kind == START:
        return rec.at > last + match
    went_down = rec.session_time is not None and rec.session_time + match < row["session_time"]
    return went_down and rec.start() > last + match


def _older_session(rec: Record, row: dict, match: int) -> bool:
    """Positive evidence that ``rec`` is of a session over before ``row`` began."""
    start = rec.start()
    if start is None or rec.guessed:
        return False
    return start < row["started_at"] - match and rec.at <= row["started_at"] + match


def _same_counters(rec: Record, row: dict) -> bool:
    return (rec.session_time == row["session_time"]
            and _total(rec.in_octets, rec.in_giga, 0, True) == row["input_bytes"]
            and _total(rec.out_octets, rec.out_giga, 0, True) == row["output_bytes"])  # fmt: skip


def _closed_for(rec: Record, history: list[dict], match: int) -> dict | None:
    """The closed session a record whose start matches none falls in: the one whose span
    holds its time, else the latest one if the record is dated after all of them."""
    if not history:
        return None
    if not rec.guessed:
        spans = [h for h in history
                 if h["started_at"] - match <= rec.at <= h["stopped_at"] + match]  # fmt: skip
        if spans:
            return max(spans, key=lambda h: (h["stopped_at"], h["started_at"]))
    latest = max(history, key=lambda h: (h["stopped_at"], h["started_at"]))
    return latest if rec.guessed or rec.at > latest["stopped_at"] else None


def _after_close(rec: Record, row: dict, match: int, matched: bool) -> str:
    """ "new", "late" or "continue" for a record and the closed session ``row`` it met."""
    if row["closed_by"] == FINAL:
        if rec.kind == START and not rec.guessed and rec.at > row["stopped_at"]:
            return "new"  # a Start after the Stop: the NAS reused the id
        if matched or rec.guessed or _same_counters(rec, row):
            return "late"
        return "new" if rec.at > row["stopped_at"] + match else "late"
    reboot = row["closed_by"] == "nas_reboot"
    if not matched and reboot and not rec.guessed and rec.at > row["stopped_at"]:
        return "new"  # dated after the reboot, start not the closed one's
    if not matched and _newer_session(rec, row, match):
        return "new"
    return "continue"


def _count(plan: Plan, before: dict | None, after: dict, t0: float, t1: float) -> None:
    b = before or {"session_time": 0, "input_bytes": 0, "output_bytes": 0}
    amounts = (
        after["session_time"] - b["session_time"],
        after["input_bytes"] - b["input_bytes"],
        after["output_bytes"] - b["output_bytes"],
    )
    if any(amounts):
        plan.usage.append((after["username"], t0, max(t0, t1), amounts))


def apply(
    plan: Plan,
    rec: Record,
    live: dict | None,
    fresh: bool,
    history: list[dict],
    match_seconds: int,
    interim: int,
) -> str:
    """Decide one record; ``fresh`` = ``live`` is the row this transaction just inserted for
    it (no session was live). Returns the outcome name."""
    assert rec.kind not in (ACCT_ON, ACCT_OFF)
    key = rec.key()
    match = match_seconds
    if fresh:
        live = None
    if live is not None and _start_matches(rec, live, match):
        return _to_live(plan, rec, live)
    matched = [h for h in history if _start_matches(rec, h, match)]
    if matched:
        start = rec.start()
        closed_row = min(matched, key=lambda h: (abs(h["started_at"] - start), -h["stopped_at"]))
        verdict = _after_close(rec, closed_row, match, True)
    elif live is not None:
        if _older_session(rec, live, match):
            return _new(plan, rec, interim, fresh, older_live=True)
        if not _newer_session(rec, live, match):
            return _to_live(plan, rec, live)
        # The NAS reused the id for a new session: the live one is over. Its usage stays
        # counted; the new one counts from its own (lower) totals.
        plan.history_put.append(closed(live, live["updated_at"], None, "superseded"))
        return _new(plan, rec, interim, fresh, older_live=False, replaces_live=True)
    else:
        closed_row = _closed_for(rec, history, match)
        verdict = "new" if closed_row is None else _after_close(rec, closed_row, match, False)
    if verdict == "late":  # a resend after the real Stop: nothing to add
        if fresh:
            plan.live_delete.add(key)
        return _done(plan, key, "late")
    if verdict == "new":
        return _new(plan, rec, interim, fresh, older_live=live is not None)
    return _continue(plan, rec, closed_row, fresh, older_live=live is not None)


def _to_live(plan: Plan, rec: Record, live: dict) -> str:
    key = rec.key()
    row = merge(live, rec)
    _count(plan, live, row, live["updated_at"], rec.at)
    if rec.kind == STOP:
        plan.live_delete.add(key)
        plan.history_put.append(closed(row, rec.at, cause_text(rec.cause), FINAL))
    elif row != live:
        plan.live_put[key] = row
    return _done(plan, key, "live")


def _continue(plan: Plan, rec: Record, match: dict, fresh: bool, older_live: bool) -> str:
    """A closed (not by Stop) session heard of again: its counters corrected; a Stop closes
    it for good; a record dated after a stale or reboot close reopens it (unless a newer
    session holds the key): the sweep was wrong, or the NAS kept it through what looked like
    a reboot."""
    key = rec.key()
    row = merge(match, rec)
    _count(plan, match, row, match["updated_at"], rec.at)
    plan.history_delete.append((key, match["started_at"], match["stopped_at"]))
    # A superseded session is over by evidence (a newer one began after it): corrected only.
    reopen = (not older_live and not rec.guessed and rec.at > match["stopped_at"]
              and match["closed_by"] != "superseded")  # fmt: skip
    if rec.kind == STOP:
        plan.history_put.append(closed(row, rec.at, cause_text(rec.cause), FINAL))
    elif reopen:
        plan.live_delete.discard(key)
        plan.live_put[key] = {k: row[k] for k in LIVE_COLUMNS}
        return _done(plan, key, "reopened")
    else:
        plan.history_put.append(
            closed(row, match["stopped_at"], match["terminate_cause"], match["closed_by"])
        )
    if fresh:
        plan.live_delete.add(key)
    return _done(plan, key, "corrected")


def _new(plan: Plan, rec: Record, interim: int, fresh: bool, older_live: bool,
         replaces_live: bool = False) -> str:  # fmt: skip
    key = rec.key()
    row = new_row(rec, interim)
    _count(plan, None, row, row["started_at"], rec.at)
    if rec.kind == STOP:
        plan.history_put.append(closed(row, rec.at, cause_text(rec.cause), FINAL))
        if fresh or replaces_live:
            plan.live_delete.add(key)
    elif older_live and not replaces_live:  # an earlier session of this key, never seen live
        plan.history_put.append(closed(row, rec.at, None, "superseded"))
    elif not fresh:
        plan.live_delete.discard(key)
        plan.live_put[key] = row
    return _done(plan, key, "new")


def _done(plan: Plan, key: tuple, outcome: str) -> str:
    plan.outcome[key] = outcome
    return outcome
