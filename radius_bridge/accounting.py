"""Accounting (RFC 2866): requests → idempotent upserts, group-committed before any reply.

Key: (NAS, Acct-Session-Id, User-Name, NAS-Port-Id). Start / Interim upsert the live
``session`` row (counters only grow, so a resend changes nothing); Stop moves it to
``session_history`` (created there if no Start was seen) and adds to ``usage_counter``;
Accounting-On / Off and the stale sweep close a NAS's or silent sessions the same way. A
history row with the key blocks later upserts, so a late resend cannot reopen a session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from zm_rules.contract import history_partition_ddl

from . import packets as P
from .log import event

logger = logging.getLogger("radius_bridge.accounting")

START, STOP, INTERIM, ACCT_ON, ACCT_OFF = 1, 2, 3, 7, 8
KIND_NAMES = {START: "start", STOP: "stop", INTERIM: "interim", ACCT_ON: "on", ACCT_OFF: "off"}
_GIGA = 1 << 32
CAUSES = dict(
    enumerate(
        (
            "",
            "User-Request",
            "Lost-Carrier",
            "Lost-Service",
            "Idle-Timeout",
            "Session-Timeout",
            "Admin-Reset",
            "Admin-Reboot",
            "Port-Error",
            "NAS-Error",
            "NAS-Request",
            "NAS-Reboot",
            "Port-Unneeded",
            "Port-Preempted",
            "Port-Suspended",
            "Service-Unavailable",
            "Callback",
            "User-Error",
            "Host-Request",
        )
    )
)
_YEAR = 365 * 86400


class Record:
    __slots__ = (
        "kind",
        "nas_id",
        "session_id",
        "username",
        "port_id",
        "at",
        "session_time",
        "input_bytes",
        "output_bytes",
        "framed_ip",
        "calling",
        "called",
        "nas_port",
        "klass",
        "cause",
    )

    def key(self) -> tuple:
        return (self.nas_id, self.session_id, self.username, self.port_id)


def event_time(req: P.Request, arrival: float) -> datetime:
    """Event-Timestamp when plausible, else arrival minus Acct-Delay-Time (RFC 2869 / 2866)."""
    stamp = req.integer(P.EVENT_TIMESTAMP)
    if stamp is None or not arrival - _YEAR < stamp < arrival + 86400:
        stamp = int(arrival) - (req.integer(P.ACCT_DELAY_TIME) or 0)
    return datetime.fromtimestamp(stamp, UTC)


def to_record(req: P.Request, nas, username: str, arrival: float) -> Record | None:
    """The record to store, or None for status types that store nothing."""
    kind = req.integer(P.ACCT_STATUS_TYPE)
    if kind is None:
        raise P.Malformed("accounting record without Acct-Status-Type")
    if kind not in KIND_NAMES:
        return None  # e.g. tunnel or Failed records: acknowledged, not stored
    rec = Record()
    rec.kind = kind
    rec.nas_id = nas.id
    rec.at = event_time(req, arrival)
    if kind in (ACCT_ON, ACCT_OFF):
        return rec
    sid = req.text(P.ACCT_SESSION_ID)
    if not sid:
        raise P.Malformed("accounting record without Acct-Session-Id")
    rec.session_id = sid
    rec.username = username
    rec.port_id = req.text(P.NAS_PORT_ID) or ""
    rec.session_time = req.integer(P.ACCT_SESSION_TIME) or 0
    rec.input_bytes = (req.integer(P.ACCT_INPUT_OCTETS) or 0) + _GIGA * (
        req.integer(P.ACCT_INPUT_GIGAWORDS) or 0
    )
    rec.output_bytes = (req.integer(P.ACCT_OUTPUT_OCTETS) or 0) + _GIGA * (
        req.integer(P.ACCT_OUTPUT_GIGAWORDS) or 0
    )
    ip = req.get(P.FRAMED_IP_ADDRESS)
    rec.framed_ip = ".".join(map(str, ip)) if ip is not None and len(ip) == 4 else None
    rec.calling = req.text(P.CALLING_STATION_ID)
    rec.called = req.text(P.CALLED_STATION_ID)
    rec.nas_port = req.integer(P.NAS_PORT)
    klass = req.get(P.CLASS)
    rec.klass = klass.decode("utf-8", "replace") if klass is not None else None
    rec.cause = req.integer(P.ACCT_TERMINATE_CAUSE)
    return rec


_COLS = (
    "nas_id, acct_session_id, username, nas_port_id, started_at, updated_at, session_time, "
    "input_bytes, output_bytes, framed_ip, calling_station_id, called_station_id, nas_port, "
    "class, interim_interval"
)
# One statement per batch: the rows arrive as parallel arrays ($1..$13, $15), so PostgreSQL
# plans and starts the statement once instead of once per record.
_ROWS = (
    "unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], "
    "$7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[], "
    "$13::text[], $15::text[]) AS r(nas_id, sid, username, port, at, st, inb, outb, ip, "
    "calling, called, nas_port, class, cause)"
)
_NOT_IN_HISTORY = (
    "NOT EXISTS (SELECT 1 FROM {s}.session_history h WHERE h.nas_id = r.nas_id "
    "AND h.acct_session_id = r.sid AND h.username = r.username AND h.nas_port_id = r.port "
    "AND h.stopped_at > r.at - interval '40 days')"
)


def _usage_sql(s: str) -> str:
    # ``ins`` = the history rows just written; usage goes to the account's current period.
    # ORDER BY: concurrent lanes lock usage rows in the same order, so they cannot deadlock.
    return (
        f"INSERT INTO {s}.usage_counter AS u "
        "(username, period_start, session_time, input_bytes, output_bytes) "
        "SELECT ins.username, coalesce(a.period_start, date_trunc('month', ins.stopped_at)), "
        "sum(ins.session_time), sum(ins.input_bytes), sum(ins.output_bytes) "
        f"FROM ins LEFT JOIN {s}.account a ON a.username = ins.username GROUP BY 1, 2 "
        "ORDER BY 1, 2 "
        "ON CONFLICT (username, period_start) DO UPDATE SET "
        "session_time = u.session_time + EXCLUDED.session_time, "
        "input_bytes = u.input_bytes + EXCLUDED.input_bytes, "
        "output_bytes = u.output_bytes + EXCLUDED.output_bytes, updated_at = now()"
    )


def upsert_sql(s: str) -> str:
    """Start / Interim for distinct keys; counters and times only move forward."""
    return (
        f"INSERT INTO {s}.session AS x ({_COLS}) "
        "SELECT r.nas_id, r.sid, r.username, r.port, r.at - make_interval(secs => r.st), "
        "r.at, r.st, r.inb, r.outb, r.ip::inet, r.calling, r.called, r.nas_port, r.class, "
        f"$14::int FROM {_ROWS} WHERE {_NOT_IN_HISTORY.format(s=s)} "
        "ON CONFLICT (nas_id, acct_session_id, username, nas_port_id) DO UPDATE SET "
        "started_at = least(x.started_at, EXCLUDED.started_at), "
        "updated_at = greatest(x.updated_at, EXCLUDED.updated_at), "
        "session_time = greatest(x.session_time, EXCLUDED.session_time), "
        "input_bytes = greatest(x.input_bytes, EXCLUDED.input_bytes), "
        "output_bytes = greatest(x.output_bytes, EXCLUDED.output_bytes), "
        "framed_ip = coalesce(EXCLUDED.framed_ip, x.framed_ip), "
        "calling_station_id = coalesce(EXCLUDED.calling_station_id, x.calling_station_id), "
        "called_station_id = coalesce(EXCLUDED.called_station_id, x.called_station_id), "
        "nas_port = coalesce(EXCLUDED.nas_port, x.nas_port), "
        "class = coalesce(x.class, EXCLUDED.class), interim_interval = EXCLUDED.interim_interval"
    )


def stop_sql(s: str) -> str:
    """Stop for distinct keys: live row (if any) → history, once; then usage."""
    return (
        f"WITH r AS (SELECT * FROM {_ROWS}), "
        f"gone AS (DELETE FROM {s}.session x USING r WHERE x.nas_id = r.nas_id "
        "AND x.acct_session_id = r.sid AND x.username = r.username AND x.nas_port_id = r.port "
        "RETURNING x.*), "
        f"ins AS (INSERT INTO {s}.session_history ({_COLS}, stopped_at, terminate_cause, "
        "closed_by) SELECT r.nas_id, r.sid, r.username, r.port, "
        "coalesce(g.started_at, r.at - make_interval(secs => r.st)), r.at, "
        "greatest(r.st, g.session_time), greatest(r.inb, g.input_bytes), "
        "greatest(r.outb, g.output_bytes), coalesce(r.ip::inet, g.framed_ip), "
        "coalesce(r.calling, g.calling_station_id), coalesce(r.called, g.called_station_id), "
        "coalesce(r.nas_port, g.nas_port), coalesce(g.class, r.class), $14::int, r.at, "
        "r.cause, 'stop' FROM r LEFT JOIN gone g ON g.nas_id = r.nas_id "
        "AND g.acct_session_id = r.sid AND g.username = r.username AND g.nas_port_id = r.port "
        f"WHERE {_NOT_IN_HISTORY.format(s=s)} "
        "RETURNING username, stopped_at, session_time, input_bytes, output_bytes) " + _usage_sql(s)
    )


def close_sql(s: str, where: str, stopped: str, cause: str, closed_by: str) -> str:
    """Move live sessions matching ``where`` to history (NAS reboot, stale sweep)."""
    return (
        f"WITH gone AS (DELETE FROM {s}.session WHERE {where} RETURNING *), "
        f"ins AS (INSERT INTO {s}.session_history ({_COLS}, stopped_at, terminate_cause, "
        f"closed_by) SELECT {_COLS}, {stopped}, {cause}, '{closed_by}' FROM gone "
        "RETURNING username, stopped_at, session_time, input_bytes, output_bytes) " + _usage_sql(s)
    )


_COLUMN_ATTRS = (
    "nas_id", "session_id", "username", "port_id", "at", "session_time", "input_bytes",
    "output_bytes", "framed_ip", "calling", "called", "nas_port", "klass",
)  # fmt: skip


def _columns(records: list[Record]) -> list[list]:
    """The 13 parallel arrays of ``_ROWS`` ($1..$13)."""
    return [[getattr(r, attr) for r in records] for attr in _COLUMN_ATTRS]


def _causes(records: list[Record]) -> list[str | None]:
    return [CAUSES.get(r.cause, str(r.cause) if r.cause else None) for r in records]


def _batches(items: list) -> list[list]:
    """Split so no key repeats inside a part and NAS-wide records stand alone, in order."""
    parts, current, keys = [], [], set()
    for item in items:
        rec = item[0]
        if rec.kind in (ACCT_ON, ACCT_OFF):
            if current:
                parts.append(current)
            parts.append([item])
            current, keys = [], set()
            continue
        key = rec.key()
        if key in keys:
            parts.append(current)
            current, keys = [], set()
        keys.add(key)
        current.append(item)
    if current:
        parts.append(current)
    return parts


class AccountingWriter:
    """Group commit: every record queued while a commit runs goes into the next one.

    Records are spread over ``lanes`` by session key, each lane committing on its own
    connection: one session's records stay in order in one lane, while a slow commit in one
    lane does not hold up the others.
    """

    def __init__(
        self, pool, schema: str, metrics, batch_max: int, interim_interval: int, lanes: int = 2
    ):
        self.pool = pool
        self.schema = schema
        self.metrics = metrics
        self.batch_max = batch_max
        self.interim = interim_interval
        self.queues: list[list[tuple[Record, object]]] = [[] for _ in range(lanes)]
        self.wakes = [asyncio.Event() for _ in range(lanes)]
        self.partitions: set[tuple[int, int]] = set()
        self.partition_lock = asyncio.Lock()
        self.upsert = upsert_sql(schema)
        self.on_commit = None  # called with each committed batch's records (session limits)
        self.stop = stop_sql(schema)
        self.nas_close = close_sql(
            schema, "nas_id = $1 AND started_at <= $2", "$2", "'NAS-Reboot'", "nas_reboot"
        )

    def backlog(self) -> int:
        return sum(len(q) for q in self.queues)

    def submit(self, record: Record, done) -> None:
        """``done(ok)`` runs after the commit (ok=True) or its failure (ok=False)."""
        key = record.nas_id if record.kind in (ACCT_ON, ACCT_OFF) else record.key()
        lane = hash(key) % len(self.queues)
        self.queues[lane].append((record, done))
        self.wakes[lane].set()

    async def run(self) -> None:
        await asyncio.gather(*(self._run_lane(i) for i in range(len(self.queues))))

    async def _run_lane(self, lane: int) -> None:
        queue, wake = self.queues[lane], self.wakes[lane]
        while True:
            await wake.wait()
            wake.clear()
            while queue:
                batch = queue[: self.batch_max]
                del queue[: self.batch_max]
                ok = await self._commit(batch)
                if ok and self.on_commit is not None:
                    try:
                        self.on_commit([rec for rec, _ in batch])
                    except Exception as exc:  # a bookkeeping bug must not stop this lane
                        event(logger, logging.ERROR, "on_commit_failed", error=repr(exc))
                for rec, done in batch:
                    if ok:
                        self.metrics.inc("accounting_total", KIND_NAMES[rec.kind])
                    done(ok)

    async def ensure_partitions(self, conn, instants) -> None:
        months = {(at.year, at.month) for at in instants} - self.partitions
        if not months:
            return
        async with self.partition_lock:  # two lanes must not race on CREATE TABLE
            for month in sorted(months - self.partitions):
                await conn.execute(history_partition_ddl(self.schema, *month))
                self.partitions.add(month)

    async def _commit(self, batch) -> bool:
        try:
            async with self.pool.acquire() as conn:
                await self.ensure_partitions(conn, {r.at for r, _ in batch})
                async with conn.transaction():
                    for part in _batches(batch):
                        await self._write(conn, [r for r, _ in part])
            return True
        except Exception as exc:  # no reply: the NAS retries or fails over
            self.metrics.inc("db_errors_total", "accounting")
            event(
                logger,
                logging.WARNING,
                "accounting_commit_failed",
                error=type(exc).__name__,
                detail=str(exc)[:200],
                records=len(batch),
            )
            return False

    async def _write(self, conn, records: list[Record]) -> None:
        if records[0].kind in (ACCT_ON, ACCT_OFF):
            await conn.execute(self.nas_close, records[0].nas_id, records[0].at)
            return
        upserts = [r for r in records if r.kind != STOP]
        stops = [r for r in records if r.kind == STOP]
        if upserts:
            await conn.execute(self.upsert, *_columns(upserts), self.interim, None)
        if stops:
            await conn.execute(self.stop, *_columns(stops), self.interim, _causes(stops))

    async def sweep_stale(self) -> int:
        """Close sessions silent for three interim intervals; returns how many."""
        s = self.schema
        stale = "updated_at < now() - 3 * interim_interval * interval '1 second'"
        async with self.pool.acquire() as conn:
            months = await conn.fetch(
                f"SELECT date_trunc('month', updated_at) AS m, count(*) AS n "
                f"FROM {s}.session WHERE {stale} GROUP BY 1"
            )
            if not months:
                return 0
            await self.ensure_partitions(conn, {m["m"] for m in months})
            async with conn.transaction():
                await conn.execute(close_sql(s, stale, "updated_at", "NULL", "stale"))
        closed = sum(m["n"] for m in months)
        event(logger, logging.INFO, "stale_sessions_closed", sessions=closed)
        return closed


def now() -> float:
    return time.time()
