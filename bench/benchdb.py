"""The benchmark database: create, seed (the bridge's seed, or a FreeRADIUS-only fallback), drop."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

STOCK_SCHEMA = Path("/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql")
REPO = Path(__file__).resolve().parent.parent


def dsn_for(base: str, name: str) -> str:
    """``base`` is a server DSN without a database, e.g. postgresql://zm@127.0.0.1:5432."""
    return f"{base.rstrip('/')}/{name}"


async def _admin(base: str, sql: str):
    conn = await asyncpg.connect(dsn_for(base, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create(base: str, name: str):
    if not name.startswith("zm_bench_"):
        raise ValueError("benchmark databases are named zm_bench_*")
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))


def drop(base: str, name: str):
    if not name.startswith("zm_bench_"):
        raise ValueError("refusing to drop a database not named zm_bench_*")
    asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def bridge_seed_available() -> bool:
    """True once radius_bridge has its ``seed`` command (it is built alongside)."""
    main = REPO / "radius_bridge" / "__main__.py"
    return main.exists() and "seed" in main.read_text()


def seed_with_bridge(dsn: str, accounts: int, secret: str, limit1: int = 0):
    """Seed the bridge's contract tables and FreeRADIUS' stock tables from one account set
    (plus ``limit1`` accounts ``lim<i>`` with a session limit of 1)."""
    cmd = [sys.executable, "-m", "radius_bridge", "seed", "--dsn", dsn]
    cmd += ["--accounts", str(accounts), "--nas-secret", secret, "--freeradius"]
    cmd += ["--limit1", str(limit1)]
    subprocess.run(cmd, check=True, cwd=REPO, env=dict(os.environ))


async def _seed_freeradius(dsn: str, accounts: int, secret: str):
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(STOCK_SCHEMA.read_text())
        # Same account set as the bridge's seed: user<i> / pass<i>; one reply attribute each.
        await conn.execute(
            "INSERT INTO radcheck (username, attribute, op, value) "
            "SELECT 'user' || i, 'Cleartext-Password', ':=', 'pass' || i "
            "FROM generate_series(1, $1) AS i",
            accounts,
        )
        await conn.execute(
            "INSERT INTO radreply (username, attribute, op, value) "
            "SELECT 'user' || i, 'Framed-Pool', ':=', 'main' FROM generate_series(1, $1) AS i",
            accounts,
        )
        await conn.execute(
            "INSERT INTO nas (nasname, shortname, type, secret) "
            "VALUES ('127.0.0.1', 'bench', 'other', $1)",
            secret,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def seed_freeradius_only(dsn: str, accounts: int, secret: str):
    """Fallback while the bridge's seed is missing: FreeRADIUS' stock tables only."""
    asyncio.run(_seed_freeradius(dsn, accounts, secret))


async def _table_counts(dsn: str) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT schemaname, relname, n_tup_ins, n_tup_upd FROM pg_stat_user_tables "
            "WHERE n_tup_ins + n_tup_upd > 0 ORDER BY 1, 2"
        )
        return {
            f"{r['schemaname']}.{r['relname']}": {
                "inserted": r["n_tup_ins"],
                "updated": r["n_tup_upd"],
            }
            for r in rows
        }
    finally:
        await conn.close()


async def _odoo_account_counts(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        users = await conn.fetchval("SELECT count(*) FROM zm_subscriber WHERE name LIKE 'user%'")
        limit1 = await conn.fetchval("SELECT count(*) FROM zm_subscriber WHERE name LIKE 'lim%'")
        if not users:
            raise SystemExit("no user<i> accounts here: seed it with bench.odoo_radius.seed")
        return users, limit1
    finally:
        await conn.close()


def odoo_account_counts(dsn: str) -> tuple[int, int]:
    """How many ``user<i>`` and ``lim<i>`` accounts an Odoo bench database holds."""
    return asyncio.run(_odoo_account_counts(dsn))


def table_counts(dsn: str) -> dict:
    """Rows inserted and updated per table since the database was created."""
    return asyncio.run(_table_counts(dsn))


async def _free_connections(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        limit = int(await conn.fetchval("SHOW max_connections"))
        reserved = int(await conn.fetchval("SHOW superuser_reserved_connections"))
        used = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
        return limit - reserved - used
    finally:
        await conn.close()


def free_connections(dsn: str) -> int:
    """Connection slots still open to ordinary roles on the server."""
    return asyncio.run(_free_connections(dsn))


async def _server_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT version()")
    finally:
        await conn.close()


def server_version(dsn: str) -> str:
    return asyncio.run(_server_version(dsn))
