"""A bridge restarted while PostgreSQL is down still takes accounting (issue-9 review): it
verifies packets with the NAS directory saved beside its spool, spools and acknowledges
every Accounting-Request, drops logins (the NAS fails over), and replays once the database
is back."""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import stat

import pytest

from .bridgekit import DbProxy, acct_packet, auth_packet, burst, send_raw, sql
from .test_integrity import record
from .test_startup import Serve

AUTH, ACCT, PROXY = 22341, 22342, 22343


@pytest.fixture
def proxy():
    p = DbProxy(PROXY)
    p.open()
    yield p
    p.shutdown()


def _conf(tmp_path, dsn):
    conf = tmp_path / "bridge.toml"
    conf.write_text(
        f'[server]\nhost = "127.0.0.1"\nauth_port = {AUTH}\nacct_port = {ACCT}\n'
        f'use_uvloop = false\n[database]\ndsn = "{dsn}"\ncommand_timeout = 2.0\n'
        f'[spool]\npath = "{tmp_path / "spool"}"\n[log]\nformat = "json"\nlevel = "info"\n'
    )
    return conf


def status_server(secret: bytes = b"testing123") -> bytes:
    """A Status-Server (RFC 5997) with its Message-Authenticator."""
    body = bytes((80, 18)) + bytes(16)
    packet = bytes((12, 7)) + (20 + len(body)).to_bytes(2, "big") + os.urandom(16) + body
    mac = hmac.new(secret, packet, hashlib.md5).digest()
    return packet[:22] + mac


def _stored(dsn, prefix):
    return sql(dsn, "SELECT count(*) FROM zm_radius.session_history "
               "WHERE acct_session_id LIKE $1", f"{prefix}-%", fetch="fetchval")  # fmt: skip


def test_restart_while_database_down_spools_accounting(bridge_db, proxy, tmp_path):
    conf = _conf(tmp_path, bridge_db.replace("127.0.0.1:5432", proxy.dsn_host))
    first = Serve(conf)
    try:
        first.wait_for("started")
        saved = tmp_path / "spool" / "nas-directory.json"
        assert saved.exists() and stat.S_IMODE(saved.stat().st_mode) == 0o600
        proxy.close()
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait(10)
    finally:
        first.terminate()
    again = Serve(conf)
    try:
        again.wait_for("started_without_database", timeout=10)
        stops = [acct_packet(record("Stop", f"restart-down-{i}", user="user127",
                                    values={46: 60, 42: 100}), ident=i)
                 for i in range(20)]  # fmt: skip
        assert len(burst(stops, ACCT, timeout=5)) == 20, "".join(again.lines)  # on disk
        login = auth_packet([(1, "user127")], password=b"pass127")
        assert send_raw(login, port=AUTH, timeout=0.5) is None  # dropped: the NAS fails over
        assert send_raw(status_server(), port=AUTH, timeout=0.5) is None  # no "alive" either
        assert send_raw(status_server(), port=ACCT, timeout=2) is not None
        assert _stored(bridge_db, "restart-down") == 0
        proxy.open()
        again.wait_for("accounting_spool_replayed", timeout=30)
        assert _stored(bridge_db, "restart-down") == 20
        reply = send_raw(auth_packet([(1, "user127")], password=b"pass127"), port=AUTH, timeout=2)
        assert reply is not None and reply[0] == 2
    finally:
        assert again.terminate() == 0
