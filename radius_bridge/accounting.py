"""Accounting (RFC 2866): records → sessions, history and usage; durable before any reply.

Records are group-committed: everything queued while a commit runs goes into the next one,
spread over ``lanes`` by session key (one key's records stay in order in one lane). Each
part of a batch locks its keys' live rows first (the gate, see :mod:`sessions`), reads what
it needs, and writes what :func:`sessions.apply` decides. A record whose own data the
database refuses is isolated by bisecting its batch and dropped alone (logged, unanswered):
it never takes its neighbours down. While PostgreSQL is unreachable — or failing for its own
reasons: disk full, timeouts, read-only (see :mod:`dberrors`) — records go to the local spool
and are answered once fsync'd; the spool is replayed in order, through this same path, when the
database is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import asyncpg

from zm_rules.contract import NOBODY

from . import acct_sql as Q
from . import dberrors, sessions, usage
from .log import event
from .records import ACCT_OFF, ACCT_ON, KIND_NAMES, STOP, Record
from .spooling import SpoolingMixin, Unreachable

logger = logging.getLogger("radius_bridge.accounting")


class _NeedPartitions(Exception):
    def __init__(self, months):
        super().__init__(months)
        self.months = months


def _months(epochs) -> set[tuple[int, int]]:
    out = set()
    for t in epochs:
        d = datetime.fromtimestamp(t, UTC)
        out.add((d.year, d.month))
    return out


def _batches(records: list[Record]) -> list[list[Record]]:
    """Split so no key repeats inside a part and NAS-wide records stand alone, in order."""
    parts, current, keys = [], [], set()
    for rec in records:
        if rec.kind in (ACCT_ON, ACCT_OFF):
            if current:
                parts.append(current)
            parts.append([rec])
            current, keys = [], set()
            continue
        key = rec.key()
        if key in keys:
            parts.append(current)
            current, keys = [], set()
        keys.add(key)
        current.append(rec)
    if current:
        parts.append(current)
    return parts


class AccountingWriter(SpoolingMixin):
    def __init__(self, pool, schema: str, metrics, cfg, spool=None):
        self.pool = pool
        self.schema = schema
        self.metrics = metrics
        self.cfg = cfg
        self.spool = spool
        self.spooling = False
        self._replay: asyncio.Task | None = None
        lanes = cfg.writers
        self.queues: list[list[tuple[Record, object]]] = [[] for _ in range(lanes)]
        self.wakes = [asyncio.Event() for _ in range(lanes)]
        self.partitions: set[tuple[int, int]] = set()
        self.partition_lock = asyncio.Lock()
        self.on_commit = None  # called with each committed batch's (record, outcome) pairs
        s = schema
        self.sql = {
            "gate": Q.gate(s),
            "write": Q.write(s),
            "history_delete": Q.delete_history(s),
            # An Accounting-On / Off ends the sessions that started before it, by its own
            # time (as FreeRADIUS's accounting_onoff_query), not its arrival: a retransmitted
            # On must not close sessions begun after the reboot. Only when its time is a
            # guess does the arrival order bound it too.
            "nas_close": Q.close_where(
                s,
                "nas_id = $1 AND started_at <= to_timestamp($2::float8) "
                "AND (NOT $4::bool OR last_seen_at <= to_timestamp($3::float8))",
                "greatest(to_timestamp($2::float8), updated_at)",
                "'NAS-Reboot'",
                "nas_reboot",
            ),
        }

    # -- intake -----------------------------------------------------------------------------
    def backlog(self) -> int:
        return sum(len(q) for q in self.queues)

    def submit(self, record: Record, done) -> None:
        """``done(ok)``: ok once the record is committed or on the spool's disk."""
        if self.spooling:
            self._to_spool([(record, done)])
            return
        key = record.nas_id if record.kind in (ACCT_ON, ACCT_OFF) else record.key()
        lane = hash(key) % len(self.queues)
        self.queues[lane].append((record, done))
        self.wakes[lane].set()

    async def run(self) -> None:
        if self.spool is not None and self.spool.busy():
            self._start_spooling()  # left by a previous run (crash, kill -9): replay first
        await asyncio.gather(*(self._run_lane(i) for i in range(len(self.queues))))

    async def _run_lane(self, lane: int) -> None:
        """Commit what is queued, batch after batch. The next batch starts as soon as the
        previous one only waits for its COMMIT (two in flight at most): the commit's round
        trip and WAL flush overlap the next batch's statements. Records of one key still
        commit in order — the next batch's gate waits for the previous one's row locks."""
        queue, wake = self.queues[lane], self.wakes[lane]
        inflight: list[asyncio.Task] = []
        while True:
            await wake.wait()
            wake.clear()
            while queue:
                batch = queue[: self.cfg.batch_max]
                del queue[: self.cfg.batch_max]
                if self.spooling:  # keep order: nothing overtakes what is spooled
                    for task in inflight:
                        await task
                    inflight.clear()
                    self._to_spool(batch)
                    continue
                written = asyncio.Event()
                task = asyncio.ensure_future(self._commit_batch(batch, written))
                waiter = asyncio.ensure_future(written.wait())
                await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                inflight = [t for t in inflight if not t.done()] + [task]
                while len(inflight) >= self.cfg.commits_in_flight:
                    await inflight.pop(0)

    async def _commit_batch(self, batch, written) -> None:
        try:
            results = await self.commit([rec for rec, _ in batch], written)
        except Unreachable:
            self._start_spooling()
            self._to_spool(batch)
            return
        except Exception as exc:  # a bug: nothing was acknowledged, the NAS retries
            event(logger, logging.ERROR, "accounting_batch_failed", error=repr(exc)[:200])
            for _, done in batch:
                done(False)
            return
        finally:
            written.set()  # the lane's next batch never waits for a batch that failed
        for (rec, done), outcome in zip(batch, results, strict=True):
            if outcome is not None:
                self.metrics.inc("accounting_total", KIND_NAMES[rec.kind])
            done(outcome is not None)

    # -- committing -------------------------------------------------------------------------
    async def commit(self, records: list[Record], written=None) -> list[str | None]:
        """Per record its outcome, or None if the database refused it (dropped, logged).

        Raises :class:`Unreachable` when the database cannot be reached. ``written`` (an
        event) is set once only the COMMIT remains.
        """
        if self.pool is None:  # started without its database: not connected yet
            raise Unreachable()
        last: BaseException | None = None
        for _attempt in range(4):
            try:
                outcomes = await self._transaction(records, written)
            except _NeedPartitions as need:
                await self._create_partitions(need.months)
                continue
            except Unreachable:
                raise
            except Exception as exc:
                kind = dberrors.classify(exc)
                if kind == dberrors.RETRY:
                    self.metrics.inc("accounting_retries_total")
                    last = exc
                    continue
                self._log_failure(exc, len(records))
                if kind == dberrors.UNAVAILABLE:
                    raise Unreachable() from exc
                break  # the data: find the one record to blame
            self._committed(records, outcomes)
            return [outcomes.get(id(rec)) for rec in records]
        else:
            # Still contended after every retry. A serialization failure or deadlock says
            # nothing about the records: spool them. A unique key still violated is the
            # data's (one record's identity): isolate it.
            if last is None:  # partitions were never there: the server's problem
                raise Unreachable()
            self._log_failure(last, len(records))
            if dberrors.sqlstate(last) != "23505":
                raise Unreachable() from last
        if len(records) == 1:
            self.metrics.inc("dropped_total", "accounting_refused")
            rec = records[0]
            event(
                logger,
                logging.ERROR,
                "accounting_record_refused",
                kind=KIND_NAMES[rec.kind],
                nas_id=rec.nas_id,
                session=repr(rec.session_id)[:80],
                username=repr(rec.username)[:80],
            )
            return [None]
        mid = len(records) // 2
        return await self.commit(records[:mid], written) + await self.commit(records[mid:], written)

    def _log_failure(self, exc: BaseException, n: int) -> None:
        self.metrics.inc("db_errors_total", "accounting")
        event(
            logger,
            logging.WARNING,
            "accounting_commit_failed",
            error=type(exc).__name__,
            sqlstate=dberrors.sqlstate(exc),
            detail=str(exc)[:200],
            records=n,
        )

    def _committed(self, records, outcomes) -> None:
        if self.on_commit is None:
            return
        try:
            self.on_commit([(rec, outcomes.get(id(rec))) for rec in records])
        except Exception as exc:  # a bookkeeping bug must not fail the commit
            event(logger, logging.ERROR, "on_commit_failed", error=repr(exc))

    async def _transaction(self, records: list[Record], written=None) -> dict:
        accounts: dict = {}  # username → usage-period fields, filled by the gate
        outcomes: dict[int, str] = {}
        async with self.pool.acquire() as conn:
            # This month and the next too: a NAS-reboot or superseded close may stop a session
            # at its last update, which a NAS clock may date a little ahead.
            now = time.time()
            await self.ensure_partitions(
                conn, _months([*(r.at for r in records), now, now + 86400 * 2])
            )
            async with conn.transaction():
                for part in _batches(records):
                    if part[0].kind in (ACCT_ON, ACCT_OFF):
                        rec = part[0]
                        await conn.fetchval(
                            self.sql["nas_close"], rec.nas_id, rec.at, rec.seen, rec.guessed
                        )
                        outcomes[id(rec)] = "nas_reboot"
                    else:
                        await self._write_part(conn, part, accounts, outcomes)
                if written is not None:
                    written.set()
        return outcomes

    async def _gate(self, conn, recs: list[Record], since: float, accounts: dict):
        """Lock / insert the keys' live rows, read their history and the accounts' period
        fields into ``accounts`` (see ``acct_sql.gate``)."""
        interim = self.cfg.interim_interval
        rows = sorted((sessions.new_row(r, interim) for r in recs), key=sessions.key_of)
        for row in rows:  # names an earlier part read: the gate does not read them again
            if row["username"] in accounts:
                account = accounts[row["username"]]
                row["account_id"] = NOBODY if account is None else account["account_id"]
        names = sorted({r.username for r in recs} - set(accounts))
        live, fresh, ctids, history = {}, set(), {}, {}
        result = await conn.fetch(
            self.sql["gate"], *Q.columns(rows, sessions.LIVE_COLUMNS), since, names
        )
        for name in names:
            accounts[name] = None
        for r in result:
            row = dict(r)
            src, ctid = row.pop("src"), row.pop("ctid")
            period = {
                "time_zone": row.pop("a_time_zone"),
                "quota_period": row.pop("a_quota_period"),
                "period_start": row.pop("a_period_start"),
                "account_id": row.pop("a_account_id"),
            }
            if src == "A":
                accounts[row["username"]] = period
                continue
            key = sessions.key_of(row)
            if src == "H":
                history.setdefault(key, []).append(row)
                continue
            for column in ("stopped_at", "terminate_cause", "closed_by"):
                del row[column]
            live[key], ctids[key] = row, ctid
            if src == "I":
                fresh.add(key)
        return live, fresh, ctids, history

    async def _write_part(self, conn, recs: list[Record], accounts, outcomes) -> None:
        match, interim = self.cfg.session_match_seconds, self.cfg.interim_interval
        since = min(r.at for r in recs) - self.cfg.history_days * 86400
        live, fresh, ctids, history = await self._gate(conn, recs, since, accounts)
        for _ in range(5):
            raced = [r for r in recs if r.key() not in live]
            if not raced:
                break
            # Another writer inserted that key between our read and our insert: the gate
            # again waits for it and then locks (or inserts) the row.
            more = await self._gate(conn, raced, since, accounts)
            live.update(more[0])
            fresh |= more[1]
            ctids.update(more[2])
            for key in {r.key() for r in raced}:
                history[key] = more[3].get(key, [])
        else:
            raise asyncpg.SerializationError("session key contended")
        plan = sessions.Plan()
        for rec in recs:
            key = rec.key()
            outcomes[id(rec)] = sessions.apply(
                plan, rec, live.get(key), key in fresh, history.get(key, []), match, interim
            )
        seen = await self._execute(conn, plan, accounts, ctids, sorted(fresh), since)
        for row in seen:
            known = history.get(sessions.key_of(row), [])
            if not any(h["started_at"] == row["started_at"] and h["stopped_at"] ==
                       row["stopped_at"] for h in known):  # fmt: skip
                # A writer we waited for closed this session meanwhile: decide again.
                raise asyncpg.SerializationError("history changed under the gate")

    async def _execute(self, conn, plan, accounts, ctids, recheck, since) -> list:
        """One statement for the part's writes (a second one for rare history deletions);
        returns the history of ``recheck`` keys as of now."""
        if plan.history_delete:
            keys = [(*k, st, sp) for k, st, sp in plan.history_delete]
            await conn.executemany(self.sql["history_delete"], keys)
        if plan.history_put:
            months = _months(r["stopped_at"] for r in plan.history_put) - self.partitions
            if months:
                raise _NeedPartitions(months)  # DDL outside this transaction, then again
        totals: dict[tuple, list] = {}
        for username, t0, t1, amounts in plan.usage:
            for period_start, parts in usage.split(accounts.get(username), t0, t1, amounts):
                acc = totals.setdefault((username, period_start), [0, 0, 0])
                for i, part in enumerate(parts):
                    acc[i] += part
        usage_keys = sorted(totals)
        put = [plan.live_put[k] for k in sorted(plan.live_put)]
        for row in (*put, *plan.history_put):
            if row["account_id"] is None:  # a session a contract-3 bridge began
                account = accounts.get(row["username"])
                row["account_id"] = NOBODY if account is None else account["account_id"]
        rows = await conn.fetch(
            self.sql["write"],
            [ctids[k] for k in sorted(plan.live_delete)],
            *Q.columns(put, sessions.LIVE_COLUMNS),
            *Q.columns(plan.history_put, sessions.HISTORY_COLUMNS),
            [k[0] for k in usage_keys],
            [k[1] for k in usage_keys],
            *([totals[k][i] for k in usage_keys] for i in range(3)),
            *([k[i] for k in recheck] for i in range(4)),
            since,
        )
        return [dict(r) for r in rows]

    async def ensure_partitions(self, conn, months) -> None:
        if months - self.partitions:
            async with self.partition_lock:  # two lanes must not race on CREATE TABLE
                for month in sorted(months - self.partitions):
                    # the provider's SECURITY DEFINER function: the bridge's role does not
                    # own session_history and may not create its partitions itself
                    await conn.execute(f"SELECT {self.schema}.history_partition($1, $2)", *month)
                    self.partitions.add(month)

    async def _create_partitions(self, months) -> None:
        try:
            async with self.pool.acquire() as conn:
                await self.ensure_partitions(conn, months)
        except Exception as exc:  # DDL fails for the server's reasons, never a record's
            self._log_failure(exc, 0)
            raise Unreachable() from exc

    # -- closing silent sessions ------------------------------------------------------------
    async def sweep_stale(self) -> int:
        """Close sessions no record has reached this bridge about for three interim intervals.

        Judged on arrival (``last_seen_at``), never on the NAS's clock; skipped while the
        spool holds records that may be the very Interims of those sessions.
        """
        if self.spooling:
            return 0
        s = self.schema
        stale = (
            "last_seen_at < to_timestamp($1::float8) - 3 * interim_interval * interval '1 second'"
        )
        now = time.time()
        async with self.pool.acquire() as conn:
            months = await conn.fetch(
                f"SELECT DISTINCT extract(epoch FROM date_trunc('month', updated_at))::float8 "
                f"FROM {s}.session WHERE {stale}",
                now,
            )
            if not months:
                return 0
            await self.ensure_partitions(conn, _months(m[0] for m in months))
            async with conn.transaction():
                closed = await conn.fetchval(
                    Q.close_where(s, stale, "updated_at", "NULL", "stale"), now
                )
        if closed:
            event(logger, logging.INFO, "stale_sessions_closed", sessions=closed)
        return closed


__all__ = ["AccountingWriter", "Unreachable", "STOP"]
