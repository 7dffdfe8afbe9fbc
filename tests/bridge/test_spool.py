"""A database outage loses no accounting: records are spooled to disk, acknowledged, and
replayed once, in order, when PostgreSQL is back — even after a ``kill -9`` (issue 9)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from radius_bridge.testing import Controller

from .bridgekit import DbProxy, acct_packet, burst, make_config, sql
from .test_integrity import record, usage
from .test_startup import Serve

PROXY = 22150


@pytest.fixture
def proxy():
    p = DbProxy(PROXY)
    p.open()
    yield p
    p.shutdown()


def _session_records(prefix: str, n: int, user: str, t0: int):
    """Start, Interim, Stop of ``n`` sessions, as one burst's datagrams (distinct ids)."""
    out = []
    for i in range(n):
        sid = f"{prefix}-{i}"
        out.append(record("Start", sid, user=user, values={55: t0}))
        out.append(record("Interim-Update", sid, user=user, values={55: t0 + 30, 46: 30, 42: 100}))
        out.append(record("Stop", sid, user=user, values={55: t0 + 60, 46: 60, 42: 250, 43: 5}))
    return out


def _send_in_order(records, port: int) -> int:
    """Send each record and wait for its answer before the next (a NAS's order); answered."""
    answered = 0
    for i, attrs in enumerate(records):
        answered += len(burst([acct_packet(attrs, ident=i % 256)], port, timeout=5))
    return answered


def _stored(dsn, prefix):
    return sql(
        dsn,
        "SELECT acct_session_id, closed_by, session_time, input_bytes, output_bytes "
        "FROM zm_radius.session_history WHERE acct_session_id LIKE $1 ORDER BY 1",
        f"{prefix}-%",
    )


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_outage_answered_from_spool_and_replayed_once(bridge_db, proxy):
    """With PostgreSQL cut, every record is acknowledged once on disk; when it is back they
    are replayed: each session once in history, its usage once; resends add nothing."""
    dsn = bridge_db.replace("127.0.0.1:5432", proxy.dsn_host)
    cfg = make_config(dsn, 22151, 22152)
    t0 = int(time.time()) - 300
    records = _session_records("outage", 10, "user91", t0)
    with Controller(cfg) as ctl:
        proxy.close()
        assert _send_in_order(records, 22152) == len(records)
        assert ctl.server.writer.spooling and ctl.server.spool.size > 0
        assert _stored(bridge_db, "outage") == []
        proxy.open()
        _wait(lambda: not ctl.server.writer.spooling)
        assert ctl.server.spool.segments_on_disk() == []
        assert _send_in_order(records[-3:], 22152) == 3  # resends after the replay
    rows = _stored(bridge_db, "outage")
    assert [tuple(r)[1:] for r in rows] == [("stop", 60, 250, 5)] * 10
    assert tuple(usage(bridge_db, "user91")) == (600, 2500, 50)


def test_killed_during_outage_replays_after_restart(bridge_db, proxy, tmp_path):
    """`serve` acknowledges records from its spool while the database is cut, is killed with
    SIGKILL, and replays them after restart: nothing lost, nothing doubled."""
    dsn = bridge_db.replace("127.0.0.1:5432", proxy.dsn_host)
    conf = tmp_path / "bridge.toml"
    conf.write_text(
        '[server]\nhost = "127.0.0.1"\nauth_port = 22153\nacct_port = 22154\nuse_uvloop = false\n'
        f'[database]\ndsn = "{dsn}"\ncommand_timeout = 2.0\n'
        f'[spool]\npath = "{tmp_path / "spool"}"\n[log]\nformat = "json"\n'
    )
    t0 = int(time.time()) - 300
    records = _session_records("killed", 8, "user92", t0)
    server = Serve(conf)
    try:
        server.wait_for("started")
        proxy.close()
        assert _send_in_order(records, 22154) == len(records)
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait(10)
    finally:
        server.terminate()
    assert _stored(bridge_db, "killed") == []
    assert os.listdir(tmp_path / "spool" / "worker-0")
    proxy.open()
    again = Serve(conf)
    try:
        again.wait_for("accounting_spool_replayed", timeout=30)
    finally:
        assert again.terminate() == 0
    rows = _stored(bridge_db, "killed")
    assert [tuple(r)[1:] for r in rows] == [("stop", 60, 250, 5)] * 8
    assert tuple(usage(bridge_db, "user92")) == (480, 2000, 40)
