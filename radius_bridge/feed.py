"""The change feed: ``account_change`` rows evict accounts from the cache.

Sequence numbers commit out of order, and an Odoo transaction may stay open for minutes, so
"rows after the last seq seen" (or a time window) can miss a change for ever. Each row
carries the id of the transaction that wrote it (``txid``); every read also takes the
snapshot's ``xmin`` — every transaction below it has ended. The next read asks for rows with
``txid >= `` that xmin: whatever was still in progress is read once it commits, however
long it took, and rows already handled are recognised by ``seq``.

The provider (and the bridge, for its own first-dial writes) ``NOTIFY``s the channel
``CHANGE_CHANNEL`` in the same transaction; a listening connection wakes the poll at once.
The poll also runs every ``change_poll_seconds`` in case a notification is lost (the listen
connection dropped), and the cache's TTL bounds the damage of anything missed beyond that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from zm_rules.contract import CHANGE_CHANNEL

from .log import event

logger = logging.getLogger("radius_bridge.feed")


class ChangeFeed:
    def __init__(self, pool, schema: str, cache, metrics, dsn: str | None = None):
        self.pool = pool
        self.cache = cache
        self.metrics = metrics
        self.dsn = dsn
        self.low = 0  # every transaction below this xid had ended at the last read
        self.seen: dict[int, int] = {}  # seq → txid, for rows at or above ``low``
        self.listener: asyncpg.Connection | None = None
        self._wake = asyncio.Event()
        self._sql = (
            "WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin) "
            "SELECT s.xmin, c.seq, c.username, c.txid::text::bigint AS txid FROM s "
            f"LEFT JOIN {schema}.account_change c ON c.txid >= $1::text::xid8"
        )

    async def start(self) -> None:
        """Start from now: the cache is empty, so older changes do not matter."""
        self.low = await self.pool.fetchval(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        )
        await self.listen()

    async def listen(self) -> None:
        """(Re)open the LISTEN connection; a failure leaves the poll loop in charge."""
        if self.dsn is None or (self.listener is not None and not self.listener.is_closed()):
            return
        try:
            conn = await asyncpg.connect(self.dsn, timeout=5)
            await conn.add_listener(CHANGE_CHANNEL, self._notified)
        except Exception as exc:
            event(logger, logging.WARNING, "change_listen_failed", error=type(exc).__name__)
            return
        self.listener = conn

    def _notified(self, *args) -> None:
        self.metrics.inc("change_notifications_total")
        self._wake.set()

    async def wait(self, seconds: float) -> None:
        """Sleep until a notification or ``seconds``, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def poll(self) -> int:
        """Evict accounts changed since the last read; returns how many new rows."""
        rows = await self.pool.fetch(self._sql, str(self.low))
        new = 0
        for row in rows:
            seq = row["seq"]
            if seq is None or seq in self.seen:
                continue
            self.seen[seq] = row["txid"]
            self.cache.invalidate(row["username"])
            new += 1
        low = rows[0]["xmin"]
        if low > self.low:
            self.low = low
            self.seen = {s: t for s, t in self.seen.items() if t >= low}
        if new:
            self.metrics.inc("change_rows_total", "", new)
        return new

    async def run(self, seconds: float) -> None:
        """Poll on every notification and at least every ``seconds``."""
        while True:
            await self.wait(seconds)
            try:
                await self.poll()
                await self.listen()
            except Exception as exc:
                self.metrics.inc("db_errors_total", "change_feed")
                event(logger, logging.WARNING, "background_job_failed", job="change_feed",
                      error=type(exc).__name__)  # fmt: skip

    async def close(self) -> None:
        if self.listener is not None:
            try:
                await asyncio.wait_for(self.listener.close(), 2)
            except Exception:
                self.listener.terminate()
