"""Bench / test fixture: the contract tables in an empty database, filled with N accounts.

``user<i>`` / ``pass<i>``; accounts whose number is not a multiple of 10 are active with a
package and a rate, the others are spread over paused, cancelled, expired and waiting for the
first dial. Everything is generated server-side with ``generate_series`` (1M rows in seconds).
With ``freeradius`` the same accounts also go into FreeRADIUS' stock SQL schema.
"""

from __future__ import annotations

import glob
import os
import time

import asyncpg

from zm_rules.contract import render_change_trigger, render_ddl

FREERADIUS_SCHEMA_GLOBS = (
    "/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql",
    "/etc/freeradius/*/mods-config/sql/main/postgresql/schema.sql",
    "/usr/share/freeradius*/**/postgresql/schema.sql",
)

_ACCOUNTS = """
INSERT INTO {s}.account (
    account_id, username, password_clear, state, expiry_at, period_start, first_dial_at,
    quota_period, quota_octets, rate_up_kbps, rate_down_kbps, burst_up_kbps, burst_down_kbps,
    vendor_profiles, pool_normal, pool_expiring, pool_expired, area_id, time_zone, in_arrears)
SELECT i, 'user' || i, 'pass' || i,
    CASE WHEN i % 10 <> 0 THEN 'active'
         ELSE (ARRAY['paused', 'cancelled', 'active', 'waiting'])[(i / 10) % 4 + 1]
    END,
    CASE WHEN i % 10 <> 0 THEN now() + interval '30 days' + (i % 720) * interval '1 hour'
         WHEN (i / 10) % 4 = 2 THEN now() - interval '1 day'
         WHEN (i / 10) % 4 = 3 THEN NULL
         ELSE now() + interval '30 days' END,
    date_trunc('month', now()),
    CASE WHEN i % 10 = 0 AND (i / 10) % 4 = 3 THEN NULL ELSE now() - interval '10 days' END,
    'natural_month', 500::bigint * 1000 * 1000 * 1000,
    (ARRAY[4096, 10240, 20480])[i % 3 + 1], (ARRAY[20480, 102400, 204800])[i % 3 + 1],
    NULL, NULL,
    jsonb_build_object('mikrotik', (ARRAY['20M', '100M', '200M'])[i % 3 + 1]),
    'pool-normal', 'pool-expiring', NULL, 1 + i % 50, 'Asia/Shanghai', false
FROM generate_series(1, $1::int) AS i
"""

# Limit-1 accounts ``lim<i>`` / ``pass<i>`` (the usual ISP setting), all in good standing.
_LIMIT1 = """
INSERT INTO {s}.account (
    account_id, username, password_clear, state, expiry_at, period_start, first_dial_at,
    quota_period, rate_up_kbps, rate_down_kbps, pool_normal, session_limit, time_zone)
SELECT 100000000 + i, 'lim' || i, 'pass' || i, 'active', now() + interval '30 days',
    date_trunc('month', now()), now() - interval '10 days', 'natural_month', 4096, 20480,
    'pool-normal', 1, 'Asia/Shanghai'
FROM generate_series(1, $1::int) AS i
"""

_NAS = """
INSERT INTO {s}.nas (id, ip, nas_identifier, secret, vendor, coa_port, strip_realm,
                     require_message_authenticator, enabled)
VALUES (1, '127.0.0.1', 'bench-nas', $1, 'standard', 3799, false, true, true)
"""

# FreeRADIUS equivalents of the bridge's answer: the same password, state and reply items.
_FREERADIUS = (
    "INSERT INTO radcheck (username, attribute, op, value) "
    "SELECT username, 'Cleartext-Password', ':=', password_clear FROM {s}.account",
    "INSERT INTO radcheck (username, attribute, op, value) "
    "SELECT username, 'Auth-Type', ':=', 'Reject' FROM {s}.account "
    "WHERE state IN ('paused', 'cancelled') OR expiry_at <= now()",
    "INSERT INTO radreply (username, attribute, op, value) "
    "SELECT username, a.attribute, ':=', a.value FROM {s}.account, LATERAL (VALUES "
    "('Framed-Pool', pool_normal), "
    "('Session-Timeout', coalesce(least(86400, extract(epoch FROM expiry_at - now())::bigint), "
    "86400)::text), "
    "('Acct-Interim-Interval', '300'), "
    "('WISPr-Bandwidth-Max-Up', (rate_up_kbps * 1000)::text), "
    "('WISPr-Bandwidth-Max-Down', (rate_down_kbps * 1000)::text)) AS a(attribute, value) "
    "WHERE state IN ('active', 'waiting') AND coalesce(expiry_at > now(), true)",
    "INSERT INTO radcheck (username, attribute, op, value) "
    "SELECT username, 'Simultaneous-Use', ':=', session_limit::text FROM {s}.account "
    "WHERE session_limit IS NOT NULL",
    "INSERT INTO nas (nasname, shortname, type, secret) VALUES ('127.0.0.1', 'bench', 'other', $1)",
)


def freeradius_schema_path() -> str:
    for pattern in FREERADIUS_SCHEMA_GLOBS:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(
        "FreeRADIUS PostgreSQL schema.sql not found (install freeradius-postgresql)"
    )


async def seed(
    dsn: str,
    accounts: int,
    nas_secret: str,
    *,
    freeradius: bool = False,
    schema: str = "zm_radius",
    limit1: int = 0,
) -> dict:
    """Create and fill the contract tables; returns timings in seconds. ``limit1`` more
    accounts ``lim<i>`` have a session limit of 1 (FreeRADIUS: ``Simultaneous-Use := 1``)."""
    timings = {}
    start = time.monotonic()
    conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    try:
        await conn.execute("SET synchronous_commit = off")
        async with conn.transaction():
            for stmt in render_ddl(schema, provider_tables=True):
                await conn.execute(stmt)
            await conn.execute(_ACCOUNTS.format(s=schema), accounts)
            if limit1:
                await conn.execute(_LIMIT1.format(s=schema), limit1)
            await conn.execute(_NAS.format(s=schema), nas_secret)
            # After the bulk load: the feed matters for edits, not for the initial fill.
            await conn.execute(render_change_trigger(schema))
        timings["accounts"] = time.monotonic() - start
        if freeradius:
            with open(freeradius_schema_path()) as fh:
                ddl = fh.read()
            async with conn.transaction():
                await conn.execute(ddl)
                for stmt in _FREERADIUS[:-1]:
                    await conn.execute(stmt.format(s=schema))
                await conn.execute(_FREERADIUS[-1], nas_secret)
            timings["freeradius"] = time.monotonic() - start - timings["accounts"]
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    timings["total"] = time.monotonic() - start
    return timings
