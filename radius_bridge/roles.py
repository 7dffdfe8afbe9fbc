"""The bridge's own database role, made by the provider's database owner.

The bridge never connects as Odoo's database user: it has a role of its own that may read
the contract's views and write the contract's tables and nothing else (``bridge_grants``
in :mod:`zm_rules.contract`). ``python -m radius_bridge create-role`` makes that role (or
sets its password again), grants it exactly that, and prints the DSN for the bridge's
configuration. It runs as the owner of Odoo's database — the role Odoo connects as — after
the ``zm_radius`` add-on is installed; it may run again at any time (every step is
idempotent), e.g. after a module update.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from zm_rules.contract import CONTRACT_VERSION, SCHEMA, bridge_grants


class RoleError(RuntimeError):
    """The role cannot be made as asked; the message says why."""


def read_or_make_password(path: Path) -> str:
    """The password kept in ``path`` (owner-readable only), made at random when missing."""
    if path.exists():
        password = path.read_text().strip()
        if not password:
            raise RoleError(f"{path} is empty")
        return password
    password = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


def bridge_dsn(admin_dsn: str, role: str, password: str) -> str:
    """The admin DSN with the bridge's role and password in place of the admin's."""
    parts = urlsplit(admin_dsn)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def create_role(admin_dsn: str, role: str, password: str, schema: str = SCHEMA) -> dict:
    """Make ``role`` able to log in with ``password`` and hold only the contract's grants."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
            raise RoleError(
                f"no schema {schema} in this database: install the zm_radius add-on first"
            )
        version = await conn.fetchval(f"SELECT max(version) FROM {schema}.contract_version")
        if version != CONTRACT_VERSION:
            raise RoleError(f"contract version {version}, this bridge speaks {CONTRACT_VERSION}")
        found = await conn.fetchrow(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
            "FROM pg_roles WHERE rolname = $1",
            role,
        )
        if found and any(found.values()):
            raise RoleError(
                f"the role {role} may create roles or databases (or is a superuser): the bridge "
                "needs a role of its own that may do nothing else - choose another name"
            )
        owner = await conn.fetchval("SELECT current_user")
        if owner == role:
            raise RoleError(f"{role} is the role this command connects as: choose another name")
        # only a superuser may even say NOSUPERUSER / NOREPLICATION on an existing role;
        # the check above made sure it has neither
        verb = (
            "ALTER ROLE %I LOGIN NOINHERIT"
            if found
            else (
                "CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION"
            )
        )
        async with conn.transaction():
            await conn.execute(
                await conn.fetchval(
                    f"SELECT format('{verb} PASSWORD %L', $1::text, $2::text)",
                    role,
                    password,
                )
            )
            await conn.execute(
                await conn.fetchval(
                    "SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), $1::text)",
                    role,
                )
            )
            for grant in bridge_grants(role, schema):
                await conn.execute(grant)
        return {
            "role": role,
            "created": not found,
            "database": await conn.fetchval("SELECT current_database()"),
        }
    finally:
        await conn.close()
