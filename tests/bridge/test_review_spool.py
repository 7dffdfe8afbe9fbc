"""The spool keeps every acknowledged record whatever happens to its bytes (issue-9 review):
an undecodable entry, a bit flip, a write that failed half-way. Real files, real
PostgreSQL, the real bridge replaying them."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
import zlib

from radius_bridge.testing import Controller

from .bridgekit import acct_packet, burst, make_config, sql
from .test_integrity import record

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T0 = int(time.time()) - 600


def v1_entry(sid: str, user: str = "user119", kind: int = 2) -> list:
    """A record as the first spool format stored it (a list in Record's slot order)."""
    return [kind, 1, sid, user, "", T0 + 60, T0 + 61.0, 60, 1000, None, 2000, None,
            None, None, None, None, None, 1]  # fmt: skip


def v1_frame(payload) -> bytes:
    data = json.dumps(payload).encode()
    return struct.pack("!II", len(data), zlib.crc32(data)) + data


def _spool_dir(tmp_path) -> str:
    path = tmp_path / "spool" / "worker-0"
    path.mkdir(parents=True)
    return str(path)


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _stored(dsn, prefix) -> list[str]:
    rows = sql(dsn, "SELECT acct_session_id FROM zm_radius.session_history "
               "WHERE acct_session_id LIKE $1 ORDER BY 1", f"{prefix}-%")  # fmt: skip
    return [r[0] for r in rows]


def _replay(dsn, tmp_path, ports=(22321, 22322)):
    """Start a bridge on the spool left in ``tmp_path``, wait for its replay; the bridge."""
    cfg = make_config(dsn, *ports, spool={"path": str(tmp_path / "spool")})
    ctl = Controller(cfg).start()
    _wait(lambda: not ctl.server.writer.spooling)
    return ctl


def _quarantined(tmp_path) -> list[str]:
    folder = tmp_path / "spool" / "worker-0" / "quarantine"
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_undecodable_entry_is_quarantined_and_replay_goes_on(bridge_db, tmp_path):
    """A spool entry with a valid CRC that is no record of this version (one field short):
    the entries around it are replayed, it is kept aside loudly, the bridge goes on storing
    new records in PostgreSQL (before: the replay task died, every new record went to the
    spool for good and the stale sweep stayed off)."""
    folder = _spool_dir(tmp_path)
    entries = [v1_entry("undecodable-1"), v1_entry("undecodable-2")[:-1],
               v1_entry("undecodable-3")]  # fmt: skip
    with open(os.path.join(folder, "000000000001.spool"), "wb") as fh:
        fh.write(b"".join(v1_frame(e) for e in entries))
    ctl = _replay(bridge_db, tmp_path)
    try:
        assert _stored(bridge_db, "undecodable") == ["undecodable-1", "undecodable-3"]
        assert ctl.metrics.get("spool_dropped_total", "undecodable") == 1
        assert _quarantined(tmp_path) == ["000000000001.spool", "000000000001.spool.report.json"]
        fresh = record("Stop", "fresh-after-replay", user="user119", values={46: 10, 42: 5})
        assert burst([acct_packet(fresh)], 22322, timeout=5)  # committed before the answer:
        assert _stored(bridge_db, "fresh-after") == ["fresh-after-replay"]
        assert not ctl.server.writer.spooling
    finally:
        ctl.stop()
    report = json.loads((tmp_path / "spool/worker-0/quarantine/000000000001.spool.report.json")
                        .read_text())  # fmt: skip
    assert [e["why"] for e in report["entries"]] == ["undecodable"]


def test_replay_error_is_retried_not_fatal(bridge_db, tmp_path):
    """Any error of the replay (here a segment that cannot be opened) is logged and retried;
    once it clears, the replay finishes (before: the task died on the first exception)."""
    folder = _spool_dir(tmp_path)
    os.mkdir(os.path.join(folder, "000000000001.spool"))  # open() fails: IsADirectoryError
    with open(os.path.join(folder, "000000000002.spool"), "wb") as fh:
        fh.write(v1_frame(v1_entry("retried-1")))
    cfg = make_config(bridge_db, 22323, 22324, spool={"path": str(tmp_path / "spool")})
    with Controller(cfg) as ctl:
        _wait(lambda: ctl.metrics.get("spool_replay_errors_total") >= 2)
        assert ctl.server.writer.spooling
        os.rmdir(os.path.join(folder, "000000000001.spool"))
        _wait(lambda: not ctl.server.writer.spooling)
    assert _stored(bridge_db, "retried") == ["retried-1"]


def test_bit_flip_mid_segment_loses_only_the_damaged_entry(bridge_db, tmp_path):
    """One flipped bit inside the 4th of 10 entries (a segment of the previous format):
    the 9 others are replayed (before: the 7 after it were dropped silently and the segment
    deleted); the damaged segment is kept in quarantine and the loss counted."""
    folder = _spool_dir(tmp_path)
    blob = bytearray(b"".join(v1_frame(v1_entry(f"flip1-{i:02d}")) for i in range(10)))
    blob[blob.index(b"flip1-03") + 2] ^= 0x01
    with open(os.path.join(folder, "000000000001.spool"), "wb") as fh:
        fh.write(blob)
    ctl = _replay(bridge_db, tmp_path)
    ctl.stop()
    assert _stored(bridge_db, "flip1") == [f"flip1-{i:02d}" for i in range(10) if i != 3]
    assert ctl.metrics.get("spool_dropped_total", "unreadable_range") == 1
    assert "000000000001.spool" in _quarantined(tmp_path)


def test_bit_flip_in_current_format_resynchronises(bridge_db, tmp_path):
    """The same with frames of the current format (marker, length, CRC): a flip in an entry's
    header or body costs that entry only."""
    import asyncio

    from radius_bridge.records import Record
    from radius_bridge.spool import Spool

    async def write():
        spool = Spool(_spool_dir(tmp_path), 1 << 20)
        for i in range(10):
            done = asyncio.get_running_loop().create_future()
            spool.append(Record.from_spool(v1_entry(f"flip2-{i:02d}")).to_spool(),
                         done.set_result)  # fmt: skip
            assert await done
        spool.close()

    asyncio.run(write())
    path = tmp_path / "spool/worker-0/000000000001.spool"
    blob = bytearray(path.read_bytes())
    blob[blob.index(b"flip2-03") - 40] ^= 0x10  # in the 4th frame, before its session id
    blob[blob.index(b"flip2-07") + 3] ^= 0x01  # and in the 8th frame's body
    path.write_bytes(blob)
    _replay(bridge_db, tmp_path, (22325, 22326)).stop()
    assert _stored(bridge_db, "flip2") == [f"flip2-{i:02d}" for i in range(10) if i not in (3, 7)]


WRITER = """
import asyncio, json, os, resource, signal, sys
from radius_bridge.spool import Spool
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
folder, entries = sys.argv[1], json.loads(sys.argv[2])
async def main():
    spool = Spool(folder, 1 << 20)
    acked = []
    async def put(i):
        done = asyncio.get_running_loop().create_future()
        spool.append(entries[i], done.set_result)
        if await done:
            acked.append(i)
    for i in range(5):
        await put(i)
    size = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder)
               if n.endswith(".spool"))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, hard))  # "disk full" mid-frame
    await put(5)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space is back
    for i in range(6, 11):
        await put(i)
    spool.close()
    print(json.dumps(acked))
asyncio.run(main())
"""


def test_write_failing_half_way_leaves_no_torn_bytes_behind(bridge_db, tmp_path):
    """A spool write cut short (the first 40 bytes of a frame written, then the file may not
    grow: ENOSPC / EFBIG) is not acknowledged; records acknowledged after space returns are
    all replayed (before: they sat behind the torn bytes and were skipped)."""
    folder = _spool_dir(tmp_path)
    entries = [v1_entry(f"torn-{i:02d}") for i in range(11)]
    out = subprocess.run([sys.executable, "-c", WRITER, folder, json.dumps(entries)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    acked = json.loads(out.stdout)
    assert acked == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]
    _replay(bridge_db, tmp_path, (22327, 22328)).stop()
    assert _stored(bridge_db, "torn") == [f"torn-{i:02d}" for i in acked]


def test_quarantined_segment_requeued_and_replayed_once(bridge_db, tmp_path):
    """`radius_bridge spool-requeue` puts a quarantined segment back in line (refused while
    a bridge holds the spool); the next start replays it through the idempotent path: the
    record stored before is not doubled, the others are stored, the report is kept."""
    folder = _spool_dir(tmp_path)
    quarantine = os.path.join(folder, "quarantine")
    os.mkdir(quarantine)
    entries = [v1_entry("requeue-1"), v1_entry("requeue-2"), v1_entry("requeue-3")]
    with open(os.path.join(quarantine, "000000000001.spool"), "wb") as fh:
        fh.write(b"".join(v1_frame(e) for e in entries))
    with open(os.path.join(quarantine, "000000000001.spool.report.json"), "w") as fh:
        fh.write('{"entries": []}')
    config = tmp_path / "bridge.toml"
    config.write_text(f'[database]\ndsn = "{bridge_db}"\n[spool]\npath = "{tmp_path / "spool"}"\n')
    with open(os.path.join(folder, "000000000001.spool"), "wb") as fh:
        fh.write(v1_frame(entries[0]))  # waiting in line: stored by the first start
    ctl = _replay(bridge_db, tmp_path, ports=(22325, 22326))
    try:
        assert _stored(bridge_db, "requeue") == ["requeue-1"]
        busy = subprocess.run([sys.executable, "-m", "radius_bridge", "spool-requeue",
                               "--config", str(config)], cwd=ROOT, capture_output=True,
                              text=True)  # fmt: skip
        assert busy.returncode == 1 and "stop the bridge first" in busy.stderr
    finally:
        ctl.stop()
    done = subprocess.run([sys.executable, "-m", "radius_bridge", "spool-requeue", "--config",
                           str(config)], cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "quarantine/000000000001.spool -> 000000000001.spool" in done.stdout
    assert _quarantined(tmp_path) == ["000000000001.spool.report.json.requeued-1"]
    _replay(bridge_db, tmp_path, ports=(22327, 22328)).stop()
    assert _stored(bridge_db, "requeue") == ["requeue-1", "requeue-2", "requeue-3"]
    assert not [n for n in os.listdir(folder) if n.endswith(".spool")]
