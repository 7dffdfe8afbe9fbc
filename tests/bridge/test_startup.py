"""The `serve` process started before its database: it waits, then serves; faults still exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from pyrad import packet
from pyrad.client import Timeout

from zm_rules import contract

from .bridgekit import DbProxy, access_request, pyrad_client, sql

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AUTH, ACCT, PROXY = 22010, 22011, 22050
PASSWORD = "never-logged-7f3a"


class Serve:
    """`python -m radius_bridge serve` with its JSON log lines collected as they come."""

    def __init__(self, conf):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "radius_bridge", "serve", "--config", str(conf)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def events(self, name: str) -> list[dict]:
        out = []
        for line in list(self.lines):
            if line.startswith("{"):
                record = json.loads(line)
                if record["event"] == name:
                    out.append(record)
        return out

    def wait_for(self, name: str, count: int = 1, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.events(name)) < count:
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.05)
        return self.events(name)

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(15)
        self.reader.join(5)
        return rc


@pytest.fixture
def proxy():
    p = DbProxy(PROXY)  # not opened: connections to it are refused, like a database not up
    yield p
    p.shutdown()


def write_conf(tmp_path, dsn: str, schema: str = "zm_radius"):
    conf = tmp_path / "bridge.toml"
    conf.write_text(
        f'[server]\nhost = "127.0.0.1"\nauth_port = {AUTH}\nacct_port = {ACCT}\n'
        f'[database]\ndsn = "{dsn}"\nschema = "{schema}"\n'
        f'[spool]\npath = "{tmp_path / "spool"}"\n'
        '[log]\nformat = "json"\nlevel = "info"\n'
    )
    return conf


def test_serve_waits_for_database_then_answers(bridge_db, proxy, tmp_path):
    """With PostgreSQL unreachable `serve` stays up, logs database_unavailable with the attempt
    number (never the password) and answers nothing; once it is reachable, it answers."""
    dsn = bridge_db.replace("zm@127.0.0.1:5432", f"zm:{PASSWORD}@{proxy.dsn_host}")
    server = Serve(write_conf(tmp_path, dsn))
    try:
        waits = server.wait_for("database_unavailable", 2)
        assert [w["attempt"] for w in waits[:2]] == [1, 2]
        assert waits[0]["retry_in"] < waits[1]["retry_in"]  # backing off
        client = pyrad_client(port=AUTH)
        client.timeout, client.retries = 0.3, 1
        with pytest.raises(Timeout):
            client.SendPacket(access_request(client, "user51", "pass51"))
        assert server.events("started") == []
        proxy.open()
        opened = time.monotonic()
        server.wait_for("started", timeout=10)
        client.timeout = 2
        reply = client.SendPacket(access_request(client, "user51", "pass51"))
        assert reply.code == packet.AccessAccept
        assert time.monotonic() - opened < 5
        assert server.events("database_available")[0]["attempts"] >= 3
    finally:
        rc = server.terminate()
    assert rc == 0
    assert PASSWORD not in "".join(server.lines)


def test_serve_stops_cleanly_while_waiting(bridge_db, proxy, tmp_path):
    """SIGTERM while waiting for the database ends the process at once with status 0."""
    server = Serve(write_conf(tmp_path, bridge_db.replace("127.0.0.1:5432", proxy.dsn_host)))
    server.wait_for("database_unavailable")
    started = time.monotonic()
    assert server.terminate() == 0
    assert time.monotonic() - started < 5
    assert server.events("stopped")


def test_serve_exits_at_once_on_contract_mismatch_or_config_error(bridge_db, tmp_path):
    """A database speaking another contract version, or a broken config, still ends `serve`
    at once with status 1 / 2 instead of waiting."""
    for stmt in contract.render_ddl("zm_other"):
        sql(bridge_db, stmt, fetch="execute")
    sql(bridge_db, "UPDATE zm_other.contract_version SET version = 99", fetch="execute")
    run = [sys.executable, "-m", "radius_bridge", "serve", "--config"]
    conf = write_conf(tmp_path, bridge_db, "zm_other")
    out = subprocess.run([*run, str(conf)], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "contract version 99" in out.stderr
    assert "database_unavailable" not in out.stderr
    conf.write_text('[server]\nauth_port = "x"\n')
    out = subprocess.run([*run, str(conf)], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "config error" in out.stderr
