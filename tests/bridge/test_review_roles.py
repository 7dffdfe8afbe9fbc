"""The bridge's own database role: no CREATE anywhere (CVE-2018-1058), a private password."""

from __future__ import annotations

import asyncio
import os
import secrets

import asyncpg
import pytest

from radius_bridge.roles import RoleError, bridge_dsn, create_role, read_or_make_password
from radius_bridge.seed import seed

from .bridgekit import ADMIN_DSN, SECRET, sql
from .test_contract_cli import cli


@pytest.fixture
def odoo_like_db():
    """A scratch database made as Odoo makes one: CREATE on schema public granted to PUBLIC."""
    name = f"zm_bridge_test_role_{os.getpid()}_{secrets.token_hex(3)}"
    role = f"zm_bridge_t{secrets.token_hex(4)}"
    sql(ADMIN_DSN, f'CREATE DATABASE "{name}"', fetch="execute")
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    try:
        asyncio.run(seed(dsn, 10, SECRET))
        sql(dsn, "GRANT CREATE ON SCHEMA public TO PUBLIC", fetch="execute")
        yield dsn, role
    finally:
        sql(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', fetch="execute")
        sql(ADMIN_DSN, f'DROP ROLE IF EXISTS "{role}"', fetch="execute")


def _as_bridge(dsn: str, query: str):
    return sql(dsn, query, fetch="execute")


def test_create_role_leaves_no_create_in_public(odoo_like_db, tmp_path):
    """create-role revokes PUBLIC's CREATE on schema public: the bridge's role cannot plant
    public.lower(character varying) for Odoo's owner to run; the owner still creates."""
    dsn, role = odoo_like_db
    done = asyncio.run(create_role(dsn, role, "pw-" + secrets.token_hex(8)))
    assert done["created"]
    bdsn = bridge_dsn(dsn, role, "x")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        _as_bridge(bdsn, "CREATE TABLE public.x ()")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        _as_bridge(
            bdsn,
            "CREATE FUNCTION public.lower(character varying) RETURNS text "
            "LANGUAGE sql AS 'SELECT 1::text'",
        )
    # the database owner (Odoo's role) keeps CREATE on public
    sql(dsn, "CREATE TABLE public.owner_still_creates ()", fetch="execute")
    # and the role still does what the contract grants
    assert sql(bdsn, "SELECT count(*) FROM zm_radius.account", fetch="fetchval") == 10
    conf = tmp_path / "c.toml"
    conf.write_text(f'[database]\ndsn = "{bdsn}"\n')
    out = cli("check-config", "--config", str(conf), "--connect")
    assert out.returncode == 0, out.stderr


def test_create_role_refuses_a_role_left_with_create(odoo_like_db):
    """A schema where PUBLIC (so the bridge's role) may still CREATE: create-role fails and
    names it."""
    dsn, role = odoo_like_db
    sql(dsn, "CREATE SCHEMA loose; GRANT CREATE ON SCHEMA loose TO PUBLIC", fetch="execute")
    with pytest.raises(RoleError, match="loose"):
        asyncio.run(create_role(dsn, role, "pw"))


def test_check_config_refuses_a_role_that_may_create(odoo_like_db, tmp_path):
    """check-config --connect refuses a connection role with CREATE on a schema, and a
    superuser-like owner connection (the database owner may CREATE in public)."""
    dsn, role = odoo_like_db
    asyncio.run(create_role(dsn, role, "pw"))
    sql(dsn, f'GRANT CREATE ON SCHEMA zm_radius TO "{role}"', fetch="execute")
    conf = tmp_path / "c.toml"
    conf.write_text(f'[database]\ndsn = "{bridge_dsn(dsn, role, "x")}"\n')
    out = cli("check-config", "--config", str(conf), "--connect")
    assert out.returncode == 1, out.stdout
    assert "CREATE" in out.stderr and "zm_radius" in out.stderr
    # the owner's own connection may create in public and zm_radius: refused too
    conf.write_text(f'[database]\ndsn = "{dsn}"\n')
    out = cli("check-config", "--config", str(conf), "--connect")
    assert out.returncode == 1 and "public" in out.stderr


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o620, 0o604, 0o602])
def test_password_file_readable_by_others_refused(tmp_path, mode):
    """An existing password file that group or others may read or write is refused, with
    the chmod that fixes it; the role's password is never taken from it."""
    path = tmp_path / "db-password"
    path.write_text("s3cret\n")
    path.chmod(mode)
    with pytest.raises(RoleError, match=f"chmod 600 {path}"):
        read_or_make_password(path)
    out = cli("create-role", "--admin-dsn", ADMIN_DSN, "--password-file", str(path))
    assert out.returncode == 1 and "chmod 600" in out.stderr


def test_password_file_private_or_new(tmp_path):
    """A 0600 file is used as it is; a missing one is made at random with mode 0600."""
    path = tmp_path / "db-password"
    path.write_text("s3cret\n")
    path.chmod(0o600)
    assert read_or_make_password(path) == "s3cret"
    new = tmp_path / "sub" / "new-password"
    old_umask = os.umask(0)  # even with a permissive umask
    try:
        password = read_or_make_password(new)
    finally:
        os.umask(old_umask)
    assert len(password) >= 24 and new.read_text().strip() == password
    assert new.stat().st_mode & 0o777 == 0o600
