"""The stock FreeRADIUS setup of the benchmark: configuration valid, answers from PostgreSQL."""

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import asyncpg
import pytest

from bench import benchdb
from bench.freeradius import make_raddb
from bench.radload import LoadConfig, run_load
from bench.servers import freeradius

PG = os.environ.get("ZM_BENCH_PG", "postgresql://zm@127.0.0.1:5432")
SECRET = "bench-test-secret"

pytestmark = pytest.mark.skipif(
    not shutil.which("freeradius")
    or not Path("/usr/lib/freeradius/rlm_sql_postgresql.so").exists(),
    reason="needs freeradius and freeradius-postgresql",
)


async def _counts(dsn: str) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        stopped = await conn.fetchval("SELECT count(*) FROM radacct WHERE acctstoptime IS NOT NULL")
        postauth = await conn.fetchval(
            "SELECT count(*) FROM radpostauth WHERE reply = 'Access-Accept'"
        )
        return {"stopped": stopped, "postauth": postauth}
    finally:
        await conn.close()


def test_generated_raddb_passes_freeradius_config_check(tmp_path):
    """make_raddb's output is accepted by `freeradius -C` and listens on loopback only."""
    raddb = make_raddb.build(
        tmp_path, auth_port=21962, acct_port=21963, secret=SECRET, db_name="zm_bench_none"
    )
    out = subprocess.run(
        ["freeradius", "-XC", "-d", str(raddb)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout[-2000:]
    site = (raddb / "sites-enabled" / "default").read_text()
    assert site.count("listen {") == 2 and "ipaddr = *" not in site
    assert 'driver = "rlm_sql_${dialect}"' in (raddb / "mods-enabled" / "sql").read_text()
    assert "require_message_authenticator = yes" in (raddb / "clients.conf").read_text()


def test_freeradius_answers_pap_and_accounting_from_postgresql(tmp_path):
    """100 PAP logins accepted from radcheck and 100 accounting requests stored in radacct."""
    name = f"zm_bench_test_{os.getpid()}"
    benchdb.create(PG, name)
    srv = None
    try:
        benchdb.seed_freeradius_only(benchdb.dsn_for(PG, name), 50, SECRET)
        user = PG.split("//", 1)[1].split("@", 1)[0]
        srv = freeradius(tmp_path, name, user, SECRET, 21960, 21961)
        srv.start()
        srv.wait_ready(SECRET, 50, limit=30)
        common = {"secret": SECRET, "accounts": 50, "count": 100, "duration": 10.0}
        pap = run_load(LoadConfig(port=21960, mode="pap", **common))
        acct = run_load(LoadConfig(port=21961, mode="acct", **common))
    finally:
        if srv:
            srv.stop()
        counts = asyncio.run(_counts(benchdb.dsn_for(PG, name)))
        benchdb.drop(PG, name)
    assert (pap["accepts"], pap["timeouts"], pap["bad"]) == (100, 0, 0)
    assert acct["acct_ok"] == acct["sent"] >= 100 and acct["timeouts"] == 0
    assert counts["stopped"] >= 50 and counts["postauth"] >= 100
