"""Write-behind log of every login decision, and first-dial facts, in batched writes.

The reply does not wait for these: a login must not fail because the log is slow. Rows are
kept (up to a bound) while the database is away and written when it is back. A row the
database refuses (it cannot happen with :func:`packets.safe_text`, but the log must not
depend on that) is dropped alone after a row-by-row retry, never re-queued for ever.

A first-dial fact is written with a change-feed row and a ``NOTIFY`` in the same
transaction, so every bridge (and this one's cache, at once) re-reads the account: its view
now shows ``first_dial_at`` and the auto-bound MAC / NAS. After an operator clears the fact
(unbind, first-dial reset) the next login records a new one.
"""

from __future__ import annotations

import logging
from datetime import datetime

from zm_rules.contract import CHANGE_CHANNEL

from . import dberrors
from .log import event

logger = logging.getLogger("radius_bridge.authlog")

COLUMNS = ("at", "username", "nas_id", "calling_station_id", "method", "result", "reason",
           "account_id")  # fmt: skip


class _Transient(Exception):
    """The server failed, not a row (see :mod:`dberrors`): keep the rows for the next flush."""


class AuthLog:
    def __init__(self, pool, schema: str, metrics, max_buffer: int, cache=None):
        self.pool = pool
        self.schema = schema
        self.metrics = metrics
        self.max_buffer = max_buffer
        self.cache = cache
        self.rows: list[tuple] = []
        self.first_dials: dict[str, tuple] = {}
        s = schema
        self._first_dial_sql = (
            f"INSERT INTO {s}.first_dial AS f (username, first_dial_at, mac, nas) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO UPDATE SET "
            "mac = coalesce(f.mac, EXCLUDED.mac), nas = coalesce(f.nas, EXCLUDED.nas)"
        )
        self._feed_sql = f"INSERT INTO {s}.account_change (username) SELECT unnest($1::text[])"
        self._notify_sql = f"SELECT pg_notify('{CHANGE_CHANNEL}', '')"

    def add(
        self,
        at: datetime,
        username: str,
        nas_id: int,
        calling: str | None,
        method: str,
        accept: bool,
        reason: str,
        account_id: int | None = None,
    ) -> None:
        """``account_id``: the account's id when the name is known — Odoo shows the row under
        that account, even after a rename and a new account taking the old name."""
        if len(self.rows) >= self.max_buffer:
            self.metrics.inc("auth_log_dropped_total")
            return
        result = "accept" if accept else "reject"
        self.rows.append((at, username, nas_id, calling, method, result, reason, account_id))

    def first_dial(self, fact) -> None:
        """Queue a first-dial / auto-bind fact (the decision saw none recorded)."""
        self.first_dials[fact.username] = (fact.username, fact.at, fact.mac, fact.nas)

    async def flush(self) -> None:
        if not self.rows and not self.first_dials:
            return
        rows, self.rows = self.rows, []
        facts, self.first_dials = self.first_dials, {}
        try:
            async with self.pool.acquire() as conn:
                if rows:
                    await self._write_rows(conn, rows)
                    rows = []
                if facts:
                    async with conn.transaction():
                        await conn.executemany(self._first_dial_sql, list(facts.values()))
                        await conn.execute(self._feed_sql, sorted(facts))
                        await conn.execute(self._notify_sql)
        except Exception as exc:
            self.metrics.inc("db_errors_total", "auth_log")
            event(logger, logging.WARNING, "auth_log_flush_failed", error=type(exc).__name__)
            if isinstance(exc, _Transient) or dberrors.classify(exc) != dberrors.DATA:
                # keep for later (disk full, timeouts, a lost connection); data is dropped
                self.rows[:0] = rows[: max(0, self.max_buffer - len(self.rows))]
                for key, value in facts.items():
                    self.first_dials.setdefault(key, value)
            return
        if self.cache is not None:  # our own write: answer from the new view at once
            for username in facts:
                self.cache.invalidate(username)

    async def _write_rows(self, conn, rows: list[tuple]) -> None:
        try:
            await conn.copy_records_to_table(
                "auth_log", schema_name=self.schema, records=rows, columns=COLUMNS
            )
        except Exception as exc:
            if dberrors.classify(exc) != dberrors.DATA:
                raise _Transient() from exc
            # One bad row must not cost the others, nor come back at every flush.
            for row in rows:
                try:
                    await conn.copy_records_to_table(
                        "auth_log", schema_name=self.schema, records=[row], columns=COLUMNS
                    )
                except Exception as exc:
                    if dberrors.classify(exc) != dberrors.DATA:
                        raise _Transient() from exc
                    self.metrics.inc("auth_log_dropped_total")
                    event(logger, logging.ERROR, "auth_log_row_refused", error=type(exc).__name__)
