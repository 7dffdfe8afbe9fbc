"""Write-behind log of every login decision, and first-dial facts, in batched writes.

The reply does not wait for these: a login must not fail because the log is slow. Rows are
kept (up to a bound) while the database is away and written when it is back.
"""

from __future__ import annotations

import logging
from datetime import datetime

from .log import event

logger = logging.getLogger("radius_bridge.authlog")

COLUMNS = ("at", "username", "nas_id", "calling_station_id", "method", "result", "reason")


class AuthLog:
    def __init__(self, pool, schema: str, metrics, max_buffer: int):
        self.pool = pool
        self.schema = schema
        self.metrics = metrics
        self.max_buffer = max_buffer
        self.rows: list[tuple] = []
        self.first_dials: dict[str, tuple] = {}
        self.recorded: set[str] = set()

    def add(
        self,
        at: datetime,
        username: str,
        nas_id: int,
        calling: str | None,
        method: str,
        accept: bool,
        reason: str,
    ) -> None:
        if len(self.rows) >= self.max_buffer:
            self.metrics.inc("auth_log_dropped_total")
            return
        self.rows.append(
            (at, username, nas_id, calling, method, "accept" if accept else "reject", reason)
        )

    def first_dial(self, fact) -> None:
        """Queue a first-dial / auto-bind fact once per username per process."""
        if fact.username not in self.recorded:
            self.first_dials[fact.username] = (fact.username, fact.at, fact.mac, fact.nas)

    async def flush(self) -> None:
        if not self.rows and not self.first_dials:
            return
        rows, self.rows = self.rows, []
        facts, self.first_dials = self.first_dials, {}
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                if rows:
                    await conn.copy_records_to_table(
                        "auth_log", schema_name=self.schema, records=rows, columns=COLUMNS
                    )
                if facts:
                    await conn.executemany(
                        f"INSERT INTO {self.schema}.first_dial AS f "
                        "(username, first_dial_at, mac, nas) VALUES ($1, $2, $3, $4) "
                        "ON CONFLICT (username) DO UPDATE SET "
                        "mac = coalesce(f.mac, EXCLUDED.mac), nas = coalesce(f.nas, EXCLUDED.nas)",
                        list(facts.values()),
                    )
        except Exception as exc:
            self.metrics.inc("db_errors_total", "auth_log")
            event(logger, logging.WARNING, "auth_log_flush_failed", error=type(exc).__name__)
            self.rows[:0] = rows[: max(0, self.max_buffer - len(self.rows))]
            for key, value in facts.items():
                self.first_dials.setdefault(key, value)
            return
        self.recorded.update(facts)
