"""Storage the hot path reads: the asyncpg pool, NAS table, account cache and change feed.

Cache rule: a hit costs no database round trip; concurrent misses share one
``WHERE username = ANY($1)`` query; the change feed (``account_change``, polled) evicts
changed accounts so an edit shows in answers within a second. NAS rows have no feed: a
fingerprint of the whole ``nas`` relation is polled instead, with the same one-second bound.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

import asyncpg

from zm_rules.contract import CONTRACT_VERSION, SCHEMA

from .log import event

logger = logging.getLogger("radius_bridge.db")


class ContractMismatch(RuntimeError):
    """The database's contract version is not the one this bridge speaks."""


async def _init_connection(conn) -> None:
    # Decode jsonb once per fetched row instead of once per request.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(cfg) -> asyncpg.Pool:
    """Connections survive a database restart: asyncpg reconnects on the next acquire."""
    return await asyncpg.create_pool(
        cfg.dsn,
        init=_init_connection,
        min_size=1,
        max_size=cfg.pool_size,
        command_timeout=cfg.command_timeout,
        timeout=cfg.command_timeout,
        statement_cache_size=256,
        # Partition bounds and month arithmetic are in UTC whatever the server's zone.
        # Every statement of the bridge touches a small batch of rows by key. Under load the
        # live-session table churns faster than autovacuum: its statistics say "tiny", its
        # heap is full of dead rows, and a hash join would seq-scan them on every batch.
        # Nested loops over the key indexes keep each batch's cost independent of table
        # size, and one generic plan per statement saves re-planning every batch.
        server_settings={
            "timezone": "UTC",
            "application_name": "radius_bridge",
            "plan_cache_mode": "force_generic_plan",
            "enable_hashjoin": "off",
            "enable_mergejoin": "off",
        },
    )


async def check_contract(pool: asyncpg.Pool, schema: str = SCHEMA) -> int:
    try:
        version = await pool.fetchval(f"SELECT max(version) FROM {schema}.contract_version")
    except asyncpg.UndefinedTableError as exc:
        raise ContractMismatch(f"no {schema}.contract_version table") from exc
    if version != CONTRACT_VERSION:
        raise ContractMismatch(f"contract version {version}, bridge speaks {CONTRACT_VERSION}")
    return version


# Errors of a database that is not there yet (boot order, failover, restart). Anything else
# (wrong password, unknown database, contract mismatch) is a configuration fault: exit.
_TRANSIENT = (
    OSError,  # refused, unreachable, timed out
    asyncpg.CannotConnectNowError,  # "the database system is starting up"
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.TooManyConnectionsError,
)


async def open_pool(cfg, first_delay: float = 0.5, max_delay: float = 10.0) -> asyncpg.Pool:
    """A pool on a database speaking our contract, waiting for as long as it is unreachable."""
    delay, attempt = first_delay, 0
    secret = _password(cfg.dsn)
    while True:
        attempt += 1
        pool = None
        try:
            pool = await create_pool(cfg)
            await check_contract(pool, cfg.schema)
        except BaseException as exc:
            if pool is not None:
                pool.terminate()
            if not isinstance(exc, _TRANSIENT):
                raise
            detail = str(exc)[:200]
            if secret:
                detail = detail.replace(secret, "***")
            event(
                logger,
                logging.WARNING,
                "database_unavailable",
                attempt=attempt,
                retry_in=delay,
                error=type(exc).__name__,
                detail=detail,
            )
        else:
            if attempt > 1:
                event(logger, logging.WARNING, "database_available", attempts=attempt)
            return pool
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


def _password(dsn: str) -> str | None:
    try:
        return urlsplit(dsn).password
    except ValueError:
        return None


class NasEntry:
    """One NAS with its secret pre-keyed for MD5 and HMAC-MD5."""

    __slots__ = (
        "id",
        "ip",
        "identifier",
        "secret",
        "hmac",
        "vendor",
        "coa_port",
        "strip_realm",
        "require_ma",
    )

    def __init__(self, row):
        self.id = row["id"]
        self.ip = str(row["ip"]) if row["ip"] is not None else None
        self.identifier = row["nas_identifier"]
        self.secret = row["secret"].encode()
        self.hmac = hmac.new(self.secret, digestmod=hashlib.md5)
        self.vendor = row["vendor"] or "standard"
        self.coa_port = row["coa_port"]
        self.strip_realm = row["strip_realm"]
        self.require_ma = row["require_message_authenticator"]


class NasDirectory:
    """An immutable snapshot of the enabled NAS; replaced whole, never edited in place."""

    __slots__ = ("by_ip", "by_identifier")

    def __init__(self, by_ip: dict[str, NasEntry], by_identifier: dict[str, NasEntry]):
        self.by_ip = by_ip
        self.by_identifier = by_identifier

    def __len__(self) -> int:
        return len(self.by_ip) + len(self.by_identifier)


class NasTable:
    """The NAS directory, re-read whenever a fingerprint of the ``nas`` relation changes.

    The relation has at most hundreds of rows and no change feed (it may be a VIEW), so a
    poll hashes every row's text in one statement; only a changed hash reloads the rows.
    """

    def __init__(self):
        self.directory = NasDirectory({}, {})
        self.fingerprint: tuple | None = None

    async def refresh(self, pool: asyncpg.Pool, schema: str, force: bool = False) -> bool:
        """Reload when the relation changed (or ``force``); True when the directory was swapped.

        The fingerprint is read before the rows, so a change racing the reload is seen again
        by the next poll. Any failure leaves the previous directory in service.
        """
        row = await pool.fetchrow(
            "SELECT count(*), md5(coalesce(string_agg(nas_row::text, ',' "
            f"ORDER BY nas_row::text), '')) FROM {schema}.nas AS nas_row"
        )
        fingerprint = tuple(row)
        if fingerprint == self.fingerprint and not force:
            return False
        await self.load(pool, schema)
        self.fingerprint = fingerprint
        return True

    async def load(self, pool: asyncpg.Pool, schema: str) -> None:
        rows = await pool.fetch(f"SELECT * FROM {schema}.nas WHERE enabled")
        by_ip, by_ident = {}, {}
        for row in rows:
            entry = NasEntry(row)
            if entry.ip:
                by_ip[entry.ip] = entry
            elif entry.identifier:
                by_ident[entry.identifier] = entry
        # One reference assignment: a packet sees the old directory or the new, never a mix.
        self.directory = NasDirectory(by_ip, by_ident)


MISSING = object()


class AccountCache:
    """Account rows by lower-case username; ``None`` caches "no such account" too."""

    def __init__(self, pool: asyncpg.Pool, schema: str, max_size: int, metrics, concurrency: int):
        self.pool = pool
        self.schema = schema
        self.max_size = max_size
        self.metrics = metrics
        self.concurrency = concurrency
        self.rows: dict[str, object] = {}
        self._waiting: dict[str, asyncio.Future] = {}
        self._queue: list[str] = []
        self._scheduled = False
        self._inflight = 0
        self._generation = 0
        self._last_seq = 0
        self._sql = f"SELECT * FROM {schema}.account WHERE username = ANY($1::text[])"

    def peek(self, username: str):
        return self.rows.get(username, MISSING)

    def fetch(self, username: str) -> asyncio.Future:
        """A future of the row (or None); joins a query already queued for that name."""
        fut = self._waiting.get(username)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._waiting[username] = fut
            self._queue.append(username)
            if not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)
        return fut

    def invalidate(self, username: str | None) -> None:
        self._generation += 1
        if username is None:
            self.rows.clear()
        else:
            self.rows.pop(username.lower(), None)

    def _flush(self) -> None:
        self._scheduled = False
        if not self._queue or self._inflight >= self.concurrency:
            return
        names, self._queue = self._queue[:5000], self._queue[5000:]
        self._inflight += 1
        asyncio.ensure_future(self._load(names))

    async def _load(self, names: list[str]) -> None:
        generation = self._generation
        try:
            rows = await self.pool.fetch(self._sql, names)
        except Exception as exc:  # database down: these requests go unanswered
            self.metrics.inc("db_errors_total", "account_lookup")
            event(logger, logging.WARNING, "account_lookup_failed", error=type(exc).__name__)
            for name in names:
                fut = self._waiting.pop(name, None)
                if fut is not None and not fut.done():
                    fut.set_exception(exc)
                    fut.exception()  # mark retrieved: nobody may be waiting any more
        else:
            found = {row["username"]: row for row in rows}
            # A change seen while the query ran may postdate its snapshot: answer, don't keep.
            keep = generation == self._generation
            cache = self.rows
            if keep and len(cache) + len(names) > self.max_size:
                for key in list(cache)[: max(len(names), self.max_size // 10)]:
                    del cache[key]
            for name in names:
                row = found.get(name)
                if keep:
                    cache[name] = row
                fut = self._waiting.pop(name, None)
                if fut is not None and not fut.done():
                    fut.set_result(row)
        finally:
            self._inflight -= 1
            if self._queue and not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)

    async def start_feed(self) -> None:
        self._last_seq = await self.pool.fetchval(
            f"SELECT coalesce(max(seq), 0) FROM {self.schema}.account_change"
        )

    async def poll_changes(self) -> int:
        """Evict accounts changed since the last poll; returns how many rows were seen.

        Sequence numbers can commit out of order, so rows of the last few seconds are read
        again: re-evicting an account costs one lookup, missing a change costs a wrong answer.
        """
        rows = await self.pool.fetch(
            f"SELECT seq, username FROM {self.schema}.account_change "
            "WHERE seq > $1 OR changed_at > clock_timestamp() - interval '3 seconds'",
            self._last_seq,
        )
        for row in rows:
            self._last_seq = max(self._last_seq, row["seq"])
            self.invalidate(row["username"])
        return len(rows)
