"""The contract renderer, configuration checks, the seed fixture and the real CLI process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from radius_bridge.config import ConfigError, from_dict
from zm_rules import contract

from .bridgekit import ADMIN_DSN, SECRET, sql

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "radius_bridge", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        **kw,
    )


def test_derived_state():
    """Expired / expiring come from expiry_at and now; other stored states pass through."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ds = contract.derived_state
    assert ds("active", now - timedelta(seconds=1), now) == "expired"
    assert ds("active", now + timedelta(days=1), now) == "expiring"
    assert ds("active", now + timedelta(days=10), now) == "normal"
    assert ds("active", None, now) == "normal"
    assert ds("paused", now - timedelta(days=1), now) == "paused"


def test_render_ddl_is_idempotent_and_versioned(bridge_db):
    """The contract DDL can be applied again on a live schema; the version row stays single."""
    for stmt in contract.render_ddl(provider_tables=True):
        sql(bridge_db, stmt, fetch="execute")
    assert sql(
        bridge_db, "SELECT array_agg(version) FROM zm_radius.contract_version", fetch="fetchval"
    ) == [contract.CONTRACT_VERSION]
    cols = sql(
        bridge_db,
        "SELECT column_name FROM information_schema.columns WHERE "
        "table_schema = 'zm_radius' AND table_name = 'account' ORDER BY ordinal_position",
    )
    assert tuple(r[0] for r in cols) == contract.ACCOUNT.column_names


def test_config_validation(tmp_path):
    """Missing DSN, unknown keys and wrong types are configuration errors."""
    with pytest.raises(ConfigError, match="dsn"):
        from_dict({})
    with pytest.raises(ConfigError, match="unknown key"):
        from_dict({"database": {"dsn": "x"}, "server": {"prot": 1}})
    with pytest.raises(ConfigError, match="must be int"):
        from_dict({"database": {"dsn": "x"}, "server": {"auth_port": "1812"}})
    cfg = from_dict({"database": {"dsn": "x"}, "server": {"workers": 2}})
    assert cfg.server.auth_port == 1812 and cfg.server.workers == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nhost = \n")
    out = cli("check-config", "--config", str(bad))
    assert out.returncode == 2 and "config error" in out.stderr


def test_check_config_refuses_other_contract_version(bridge_db, tmp_path):
    """check-config --connect fails on a schema speaking another contract version."""
    for stmt in contract.render_ddl("zm_other"):
        sql(bridge_db, stmt, fetch="execute")
    sql(bridge_db, "UPDATE zm_other.contract_version SET version = 99", fetch="execute")
    conf = tmp_path / "c.toml"
    conf.write_text(f'[database]\ndsn = "{bridge_db}"\nschema = "zm_other"\n')
    out = cli("check-config", "--config", str(conf), "--connect")
    assert out.returncode == 1 and "contract version 99" in out.stderr
    conf.write_text(f'[database]\ndsn = "{bridge_db}"\n')
    out = cli("check-config", "--config", str(conf), "--connect")
    # the right version; but the database owner may CREATE: refused (test_review_roles.py
    # passes the bridge's own role)
    assert out.returncode == 1 and "may CREATE" in out.stderr


@pytest.fixture
def fresh_db():
    name = f"zm_bridge_test_seed_{os.getpid()}"
    sql(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', fetch="execute")
    sql(ADMIN_DSN, f'CREATE DATABASE "{name}"', fetch="execute")
    yield ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    sql(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', fetch="execute")


def test_seed_with_freeradius_tables(fresh_db):
    """seed fills N accounts (1 in 10 not in good standing) and FreeRADIUS' own tables."""
    out = cli(
        "seed", "--dsn", fresh_db, "--accounts", "200", "--nas-secret", "s3cret", "--freeradius"
    )
    assert out.returncode == 0, out.stderr
    states = dict(
        sql(
            fresh_db,
            "SELECT CASE WHEN state = 'active' AND expiry_at > now() "
            "THEN 'good' ELSE 'other' END, count(*) FROM zm_radius.account GROUP BY 1",
        )
    )
    assert states == {"good": 180, "other": 20}
    assert (
        sql(
            fresh_db,
            "SELECT value FROM radcheck WHERE username = 'user7' AND "
            "attribute = 'Cleartext-Password'",
            fetch="fetchval",
        )
        == "pass7"
    )
    assert (
        sql(
            fresh_db,
            "SELECT count(*) FROM radcheck WHERE attribute = 'Auth-Type'",
            fetch="fetchval",
        )
        == 15
    )  # paused, cancelled, expired; waiting has no expiry
    assert (
        sql(
            fresh_db,
            "SELECT value FROM radreply WHERE username = 'user7' AND attribute = 'Framed-Pool'",
            fetch="fetchval",
        )
        == "pool-normal"
    )
    assert sql(fresh_db, "SELECT secret FROM nas", fetch="fetchval") == "s3cret"
    assert sql(fresh_db, "SELECT count(*) FROM radacct", fetch="fetchval") == 0


def _metrics(port, wait=30.0):
    """The metrics page of one worker; a worker may still be starting on a loaded machine."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_process_answers_radclient_and_metrics(bridge_db, tmp_path):
    """`python -m radius_bridge serve` with two SO_REUSEPORT workers answers radclient, serves
    metrics, logs JSON without secrets or passwords, and stops cleanly on SIGTERM."""
    conf = tmp_path / "bridge.toml"
    conf.write_text(
        '[server]\nhost = "127.0.0.1"\nauth_port = 21870\nacct_port = 21871\nworkers = 2\n'
        f'[database]\ndsn = "{bridge_db}"\n[metrics]\nport = 21872\n'
        f'[spool]\npath = "{tmp_path / "spool"}"\n'
        '[log]\nformat = "json"\nlevel = "debug"\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "radius_bridge", "serve", "--config", str(conf)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answer = ""
        for _ in range(50):
            answer = subprocess.run(
                ["radclient", "-r", "1", "-t", "1", "127.0.0.1:21870", "auth", SECRET],
                input='User-Name = "user51", User-Password = "pass51", '
                "Message-Authenticator = 0x00\n",
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout
            if "Access-Accept" in answer:
                break
            time.sleep(0.1)
        assert "Access-Accept" in answer
        bodies = [_metrics(port) for port in (21872, 21873)]
        body = next(b for b in bodies if b"auth_total" in b)
        assert b'radius_bridge_auth_total{kind="accept"} 1' in body
        assert b"radius_bridge_cached_accounts 1" in body
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {"serve", "started", "stopped"} <= {e["event"] for e in events}
    assert [e["event"] for e in events].count("started") == 2
    assert SECRET not in err and "pass51" not in err


def test_contract_document_lists_every_column():
    """docs/radius-contract.md documents every column of the two read relations."""
    with open(os.path.join(ROOT, "docs", "radius-contract.md")) as fh:
        doc = fh.read()
    assert f"Contract version **{contract.CONTRACT_VERSION}**" in doc
    for rel in (contract.ACCOUNT, contract.NAS):
        for col in rel.columns:
            assert f"| `{col.name}` | `{col.sql_type}` |" in doc, col.name
    for table in contract.BRIDGE_TABLES:
        assert f"`{table}`" in doc, table


def test_example_config_is_valid():
    """The shipped example configuration passes check-config."""
    out = cli(
        "check-config", "--config", os.path.join(ROOT, "radius_bridge", "bridge.example.toml")
    )
    assert out.returncode == 0 and "auth 1812 acct 1813" in out.stdout, out.stderr
