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

from zm_rules.contract import CONTRACT_VERSION, SCHEMA, bridge_grants, creatable_schemas_sql


class RoleError(RuntimeError):
    """The role cannot be made as asked; the message says why."""


def read_or_make_password(path: Path) -> str:
    """The password kept in ``path`` (owner-readable only), made at random when missing."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise RoleError(
                f"{path} may be read or written by group or others: chmod 600 {path} "
                "(and change the role's password if others could read it)"
            )
        password = path.read_text().strip()
        if not password:
            raise RoleError(f"{path} is empty")
        return password
    password = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


async def _no_create_anywhere(conn, role: str) -> None:
    """Take CREATE on schema ``public`` from PUBLIC, then make sure ``role`` may create in no
    schema: a role that may plant ``public.lower(character varying)`` gets Odoo's own code to
    run it as the database owner (CVE-2018-1058). Odoo grants that CREATE when it makes a
    database; the owner keeps it (PostgreSQL 15: ``public`` belongs to pg_database_owner)."""
    if await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = 'public'"):
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        if await conn.fetchval("SELECT has_schema_privilege('public', 'public', 'CREATE')"):
            raise RoleError(
                "cannot revoke CREATE on schema public from PUBLIC: run create-role as the "
                "database owner (or a superuser), or run that REVOKE as the owner of schema public"
            )
        # before PostgreSQL 15 (schema public owned by the bootstrap superuser) the database
        # owner had CREATE there only through PUBLIC: give it back to the owner alone
        give_back = await conn.fetchval(
            "SELECT format('GRANT CREATE ON SCHEMA public TO %I', pg_get_userbyid(datdba)) "
            "FROM pg_database WHERE datname = current_database() "
            "AND NOT has_schema_privilege(datdba, 'public', 'CREATE')"
        )
        if give_back:
            await conn.execute(give_back)
    loose = await conn.fetchval(creatable_schemas_sql("$1"), role)
    if loose:
        raise RoleError(
            f"the role {role} may still create objects in schema(s) {loose}: revoke CREATE "
            "there (from it and from PUBLIC) and run create-role again"
        )


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
            await _no_create_anywhere(conn, role)
        return {
            "role": role,
            "created": not found,
            "database": await conn.fetchval("SELECT current_database()"),
        }
    finally:
        await conn.close()
