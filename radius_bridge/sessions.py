"""Session identity and counters: one record + the rows of its key → the writes to make.

Pure (no I/O). The writer locks the live row of the record's key ``(NAS, Acct-Session-Id,
User-Name, NAS-Port-Id)`` first — the live table's primary key is the gate every writer of a
key passes, on any bridge or worker — then reads the key's recent history and asks
:func:`apply` what to write. A session is its key plus its start (event time − session
time); records whose starts lie within ``match_seconds`` belong to one session, so:

* a resend, or a late Interim / Stop, of a known session changes nothing or moves counters
  forward; each increase goes to ``usage`` exactly once (the row keeps the totals counted);
* a reused Acct-Session-Id (NAS reboot) starting later is a new session, and a live row it
  replaces is closed as ``superseded``;
* a session closed by the sweep (``stale``), a NAS reboot or a reuse, then heard of again, is
  corrected: reopened by an Interim, closed for real by a Stop; only a Stop is final.

Rows are dicts keyed by column name; times are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import ACCT_OFF, ACCT_ON, GIGA, MAX_OCTETS, STOP, Record, cause_text

LIVE_COLUMNS = (
    "nas_id", "acct_session_id", "username", "nas_port_id", "started_at", "updated_at",
    "last_seen_at", "session_time", "input_bytes", "output_bytes", "framed_ip",
    "calling_station_id", "called_station_id", "nas_port", "class", "interim_interval",
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
    if rec.session_time is None or rec.session_time == row["session_time"]:
        newer = rec.at >= row["updated_at"]
    else:
        newer = rec.session_time > row["session_time"]
    out["session_time"] = max(row["session_time"], rec.session_time or 0)
    out["input_bytes"] = _total(rec.in_octets, rec.in_giga, row["input_bytes"], newer)
    out["output_bytes"] = _total(rec.out_octets, rec.out_giga, row["output_bytes"], newer)
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


def same_session(rec: Record, row: dict, match_seconds: int, live: bool) -> bool:
    start = rec.start()
    if start is None:  # no Session-Time: the live session, or a history row around the event
        if live:
            return True
        return row["started_at"] - match_seconds <= rec.at <= row["stopped_at"] + match_seconds
    return abs(start - row["started_at"]) <= match_seconds


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
    cause = cause_text(rec.cause)
    if live is not None and not fresh:
        if same_session(rec, live, match_seconds, live=True):
            row = merge(live, rec)
            _count(plan, live, row, live["updated_at"], rec.at)
            if rec.kind == STOP:
                plan.live_delete.add(key)
                plan.history_put.append(closed(row, rec.at, cause, FINAL))
            elif row != live:
                plan.live_put[key] = row
            return _done(plan, key, "live")
        start = rec.start()
        if start is not None and start > live["started_at"]:
            # The NAS reused the id for a new session: the old one is over.
            plan.history_put.append(closed(live, live["updated_at"], None, "superseded"))
            plan.live_delete.add(key)
            live = None
    older_live = live is not None and not fresh  # a newer session holds the key
    match = _best(rec, history, match_seconds)
    if match is not None:
        if match["closed_by"] == FINAL:
            if fresh:
                plan.live_delete.add(key)
            return _done(plan, key, "late")  # a resend after the real Stop: nothing to add
        row = merge(match, rec)
        _count(plan, match, row, match["updated_at"], rec.at)
        plan.history_delete.append((key, match["started_at"], match["stopped_at"]))
        if rec.kind == STOP:
            plan.history_put.append(closed(row, rec.at, cause, FINAL))
            if fresh:
                plan.live_delete.add(key)
        elif older_live:
            plan.history_put.append(
                closed(row, match["stopped_at"], match["terminate_cause"], match["closed_by"])
            )
        else:  # alive after all: back to the live table
            plan.live_delete.discard(key)
            plan.live_put[key] = {k: row[k] for k in LIVE_COLUMNS}
        return _done(plan, key, "corrected")
    row = new_row(rec, interim)
    _count(plan, None, row, row["started_at"], rec.at)
    if rec.kind == STOP:
        plan.history_put.append(closed(row, rec.at, cause, FINAL))
        if fresh:
            plan.live_delete.add(key)
    elif older_live:  # a record of an earlier session of this key, never seen live
        plan.history_put.append(closed(row, rec.at, None, "superseded"))
    elif not fresh:
        plan.live_delete.discard(key)
        plan.live_put[key] = row
    return _done(plan, key, "new")


def _best(rec: Record, history: list[dict], match_seconds: int) -> dict | None:
    found = [h for h in history if same_session(rec, h, match_seconds, live=False)]
    if not found:
        return None
    start = rec.start()
    if start is None:
        return max(found, key=lambda h: h["stopped_at"])
    return min(found, key=lambda h: abs(h["started_at"] - start))


def _done(plan: Plan, key: tuple, outcome: str) -> str:
    plan.outcome[key] = outcome
    return outcome
