"""The account cache: rows by lower-case username, least-recently-used out first.

* A hit costs no database round trip; concurrent misses share one
  ``WHERE username = ANY($1)`` query, on the auth pool.
* Names with no account ("unknown") live in their own, smaller LRU: random user names
  from a scanner can only evict other unknown names, never a hot account.
* Every entry is re-read after ``ttl`` seconds (behind the answer that found it old; an
  entry ``2 × ttl`` old is not used): the change feed (:mod:`feed`) evicts at once, the TTL
  bounds how long a missed event could keep a stale answer.
* Misses waiting for the database are bounded; beyond that a request is dropped (the NAS
  retries) instead of growing a queue while the database is slow.
* Rows are stored as plain dicts of atoms (no jsonb dict, no ``inet`` object) so the
  cyclic garbage collector does not track a million of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict

import asyncpg

from .log import event

logger = logging.getLogger("radius_bridge.cache")

MISSING = object()
# Errors that are the database's absence, not the query's fault.
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
)


def slim(record) -> dict:
    """An asyncpg account row as a dict of atoms (vendor profiles as sorted pairs)."""
    row = dict(record.items())
    profiles = row.get("vendor_profiles")
    if isinstance(profiles, dict):
        row["vendor_profiles"] = tuple(sorted((str(k), str(v)) for k, v in profiles.items()))
    ip = row.get("fixed_ip")
    if ip is not None and not isinstance(ip, str):
        row["fixed_ip"] = str(getattr(ip, "ip", ip))
    return row


class AccountCache:
    def __init__(self, pool, schema: str, cfg, metrics, concurrency: int):
        self.pool = pool
        self.schema = schema
        self.max_size = cfg.max_accounts
        self.max_unknown = cfg.max_unknown
        self.ttl = cfg.ttl_seconds
        self.max_pending = cfg.max_pending_lookups
        self.metrics = metrics
        self.concurrency = concurrency
        self.rows: OrderedDict[str, tuple[dict, float]] = OrderedDict()
        self.unknown: OrderedDict[str, float] = OrderedDict()
        self._waiting: dict[str, asyncio.Future] = {}
        self._queue: list[str] = []
        self._scheduled = False
        self._inflight = 0
        self._generation = 0
        self._sql = f"SELECT * FROM {schema}.account WHERE username = ANY($1::text[])"

    def __len__(self) -> int:
        return len(self.rows)

    def peek(self, username: str):
        """The row, None (no such account) or MISSING (not cached, or expired)."""
        entry = self.rows.get(username)
        now = time.monotonic()
        if entry is not None:
            age = now - entry[1]
            if age < self.ttl:
                self.rows.move_to_end(username)
                return entry[0]
            if age < 2 * self.ttl and self._waiting.get(username) is None:
                # Re-read it behind this answer (no login waits for the revalidation); an
                # entry whose refresh does not come within another TTL is not used at all.
                self.metrics.inc("cache_total", "revalidate")
                self.fetch(username)
                return entry[0]
            if age < 2 * self.ttl:
                return entry[0]  # its refresh is on the way
            del self.rows[username]
            self.metrics.inc("cache_total", "expired")
            return MISSING
        loaded = self.unknown.get(username)
        if loaded is not None:
            if now - loaded < self.ttl:
                self.unknown.move_to_end(username)
                return None
            del self.unknown[username]
        return MISSING

    def fetch(self, username: str, bounded: bool = True) -> asyncio.Future | None:
        """A future of the row (or None); joins a query already queued for that name.

        None when ``bounded`` and too many lookups already wait: the caller drops the
        request rather than queue without limit.
        """
        fut = self._waiting.get(username)
        if fut is None:
            if bounded and len(self._waiting) >= self.max_pending:
                self.metrics.inc("dropped_total", "lookup_queue_full")
                return None
            fut = asyncio.get_running_loop().create_future()
            self._waiting[username] = fut
            self._queue.append(username)
            if not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)
        return fut

    async def get_many(self, names) -> dict:
        """{name: row or None} for the accounting writer (waits for misses; unbounded by
        ``max_pending``: its batches are bounded already)."""
        out, waits = {}, {}
        for name in names:
            row = self.peek(name)
            if row is MISSING:
                waits[name] = self.fetch(name, bounded=False)
            else:
                out[name] = row
        for name, fut in waits.items():
            out[name] = await fut
        return out

    def invalidate(self, username: str | None) -> None:
        self._generation += 1
        if username is None:
            self.rows.clear()
            self.unknown.clear()
        else:
            name = username.lower()
            self.rows.pop(name, None)
            self.unknown.pop(name, None)

    def _flush(self) -> None:
        self._scheduled = False
        if not self._queue or self._inflight >= self.concurrency:
            return
        names, self._queue = self._queue[:5000], self._queue[5000:]
        self._inflight += 1
        asyncio.ensure_future(self._load(names))

    async def _load(self, names: list[str]) -> None:
        try:
            await self._query(names, self._generation)
        finally:
            self._inflight -= 1
            if self._queue and not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)

    async def _query(self, names: list[str], generation: int) -> None:
        try:
            rows = await self.pool.fetch(self._sql, names)
        except Exception as exc:
            if not isinstance(exc, _UNREACHABLE) and len(names) > 1:
                # A name the database refuses must not fail the names sharing its query.
                mid = len(names) // 2
                await self._query(names[:mid], generation)
                await self._query(names[mid:], generation)
                return
            self.metrics.inc("db_errors_total", "account_lookup")
            event(logger, logging.WARNING, "account_lookup_failed", error=type(exc).__name__)
            for name in names:
                fut = self._waiting.pop(name, None)
                if fut is not None and not fut.done():
                    fut.set_exception(exc)
                    fut.exception()  # mark retrieved: nobody may be waiting any more
            return
        found = {row["username"]: slim(row) for row in rows}
        # A change seen while the query ran may postdate its snapshot: answer, don't keep.
        keep = generation == self._generation
        now = time.monotonic()
        for name in names:
            row = found.get(name)
            if keep:
                if row is None:
                    self.unknown[name] = now
                    self.unknown.move_to_end(name)
                    if len(self.unknown) > self.max_unknown:
                        self.unknown.popitem(last=False)
                else:
                    self.rows[name] = (row, now)
                    self.rows.move_to_end(name)
                    if len(self.rows) > self.max_size:
                        self.rows.popitem(last=False)
            fut = self._waiting.pop(name, None)
            if fut is not None and not fut.done():
                fut.set_result(row)
