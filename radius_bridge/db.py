"""Storage: the asyncpg pools, the contract check and the NAS directory.

Two pools: the auth pool serves only what an Access-Request waits for (account lookups,
session-limit recounts); accounting, the auth log, the change feed and every background job
use the other, so a burst of writes never queues a login behind it. NAS rows have no feed:
a fingerprint of the whole ``nas`` relation is polled, so NAS edits show within a second.
The account cache is :mod:`cache`, the change feed :mod:`feed`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from urllib.parse import urlsplit

import asyncpg

from zm_rules.contract import CONTRACT_VERSION, SCHEMA, creatable_schemas_sql

from .log import event
from .spool import write_atomic

logger = logging.getLogger("radius_bridge.db")


class ContractMismatch(RuntimeError):
    """The database's contract version is not the one this bridge speaks."""


class RoleRefused(RuntimeError):
    """The bridge's connection role may do more than the contract grants it (DDL)."""


async def _init_connection(conn) -> None:
    # Decode jsonb once per fetched row instead of once per request.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn) -> None:
    """Release without asyncpg's default reset query (``RESET ALL; UNLISTEN *; CLOSE ALL;
    SELECT pg_advisory_unlock_all()`` — one more round trip per acquire, on the reply's
    path). No pooled connection of the bridge ever changes its session: no SET, LISTEN,
    cursor or advisory lock (the change feed LISTENs on a connection of its own). asyncpg
    still rolls back a transaction left open before calling this."""


async def create_pool(cfg, size: int | None = None, name: str = "radius_bridge") -> asyncpg.Pool:
    """Connections survive a database restart: asyncpg reconnects on the next acquire."""
    return await asyncpg.create_pool(
        cfg.dsn,
        init=_init_connection,
        reset=_keep_session,
        min_size=1,
        max_size=size or cfg.pool_size,
        command_timeout=cfg.command_timeout,
        timeout=cfg.command_timeout,
        statement_cache_size=256,
        # Partition bounds and month arithmetic are in UTC whatever the server's zone.
        # Every statement of the bridge touches a small batch of rows by key. Under load the
        # live-session table churns faster than autovacuum: its statistics say "tiny", its
        # heap is full of dead rows, and a hash join would seq-scan them on every batch.
        # Nested loops over the key indexes keep each batch's cost independent of table
        # size, and one generic plan per statement saves re-planning every batch. That plan is
        # made once, often while the table is empty — when a sequential scan costs nothing —
        # and kept: sequential scans are off too, so it is an index probe per key for good.
        server_settings={
            "timezone": "UTC",
            "application_name": name,
            "plan_cache_mode": "force_generic_plan",
            "enable_hashjoin": "off",
            "enable_mergejoin": "off",
            "enable_seqscan": "off",
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


async def check_role(pool: asyncpg.Pool) -> None:
    """Refuse a connection role that is a superuser or may CREATE in any schema: one that
    could plant a function Odoo's owner then runs (CVE-2018-1058). ``create-role`` makes one
    that may not."""
    row = await pool.fetchrow(
        "SELECT current_user AS role, (SELECT rolsuper FROM pg_roles "
        f"WHERE rolname = current_user) AS superuser, ({creatable_schemas_sql('current_user')}) "
        "AS loose"
    )
    if row["superuser"]:
        raise RoleRefused(
            f"the database role {row['role']} is a superuser: connect as the bridge's own "
            "role (python -m radius_bridge create-role)"
        )
    if row["loose"]:
        raise RoleRefused(
            f"the database role {row['role']} may CREATE in schema(s) {row['loose']}: connect "
            "as the bridge's own role (python -m radius_bridge create-role), which may not"
        )


# Errors of a database that is not there yet (boot order, failover, restart). Anything else
# (wrong password, unknown database, contract mismatch) is a configuration fault: exit.
_TRANSIENT = (
    OSError,  # refused, unreachable, timed out
    asyncpg.CannotConnectNowError,  # "the database system is starting up"
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.TooManyConnectionsError,
)


async def open_pool(cfg, first_delay: float = 0.5, max_delay: float = 10.0,
                    attempts: int = 0, after: int = 0) -> asyncpg.Pool | None:  # fmt: skip
    """A pool on a database speaking our contract, waiting for as long as it is unreachable
    (or giving up after ``attempts`` tries, if > 0: then None). ``after``: tries an earlier
    call already made — numbering and back-off go on from there."""
    delay, attempt = first_delay, after
    if after:
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)
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
            if attempts and attempt >= attempts:
                return None
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
        "company_id",
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
        # absent from a directory saved by a contract-3 bridge: serve any company until the
        # next reload from the database
        self.company_id = row.get("company_id")


class NasDirectory:
    """An immutable snapshot of the enabled NAS; replaced whole, never edited in place."""

    __slots__ = ("by_ip", "by_identifier")

    def __init__(self, by_ip: dict[str, NasEntry], by_identifier: dict[str, NasEntry]):
        self.by_ip = by_ip
        self.by_identifier = by_identifier

    def __len__(self) -> int:
        return len(self.by_ip) + len(self.by_identifier)


NAS_FILE = "nas-directory.json"  # beside the workers' spool directories
_NAS_COLUMNS = ("id", "ip", "nas_identifier", "secret", "vendor", "coa_port", "strip_realm",
                "require_message_authenticator", "company_id")  # fmt: skip


class NasTable:
    """The NAS directory, re-read whenever a fingerprint of the ``nas`` relation changes.

    The relation has at most hundreds of rows and no change feed (it may be a VIEW), so a
    poll hashes every row's text in one statement; only a changed hash reloads the rows.
    Each reload is also saved to ``save_path`` (atomically, mode 0600: it holds the secrets),
    so that a bridge started while the database is down can still verify packets.
    """

    def __init__(self):
        self.directory = NasDirectory({}, {})
        self.fingerprint: tuple | None = None
        self.save_path: str | None = None

    def load_saved(self) -> bool:
        """Serve the directory saved at the last reload; False if there is none usable."""
        if not self.save_path:
            return False
        try:
            with open(self.save_path, encoding="utf-8") as fh:
                rows = json.load(fh)["nas"]
            self._install(rows)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            if not isinstance(exc, FileNotFoundError):
                event(logger, logging.ERROR, "nas_directory_unreadable", path=self.save_path,
                      error=type(exc).__name__)  # fmt: skip
            return False
        event(logger, logging.WARNING, "nas_directory_from_file", path=self.save_path,
              nas=len(self.directory))  # fmt: skip
        return True

    def _save(self, rows: list[dict]) -> None:
        data = json.dumps({"saved_at": time.time(), "nas": rows}, indent=1).encode()
        try:
            write_atomic(self.save_path, data, 0o600)
        except OSError as exc:  # not fatal: the database is there right now
            event(logger, logging.WARNING, "nas_directory_not_saved", path=self.save_path,
                  error=type(exc).__name__)  # fmt: skip

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
        records = await pool.fetch(f"SELECT * FROM {schema}.nas WHERE enabled")
        rows = [{c: _plain(r[c]) for c in _NAS_COLUMNS} for r in records]
        self._install(rows)
        if self.save_path:
            await asyncio.get_running_loop().run_in_executor(None, self._save, rows)

    def _install(self, rows: list[dict]) -> None:
        by_ip, by_ident = {}, {}
        for row in rows:
            entry = NasEntry(row)
            if entry.ip:
                by_ip[entry.ip] = entry
            elif entry.identifier:
                by_ident[entry.identifier] = entry
        # One reference assignment: a packet sees the old directory or the new, never a mix.
        self.directory = NasDirectory(by_ip, by_ident)


def _plain(value):
    """inet → text, for the saved copy; everything else in a NAS row is JSON already."""
    return value if value is None or isinstance(value, (bool, int, str)) else str(value)
