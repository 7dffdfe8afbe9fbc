"""Accounting across a database outage: nothing lost, nothing doubled.

    .venv/bin/python -m bench.radius_outage                       # 60 s stop under 2,000/s
    .venv/bin/python -m bench.radius_outage --rate 500 --outage 10 --before 5 --after 10

Creates database zm_bench_outage_<pid>, seeds it, starts the bridge with its database
reached through a TCP proxy on loopback, then plays NAS: sessions of Start, Interim and
Stop (2 s apart) at ``--rate`` records per second, each record resent every second until it
is acknowledged (a NAS's retransmissions). After ``--before`` seconds the proxy is closed —
every connection reset, new ones refused: PostgreSQL is unreachable for ``--outage``
seconds — then opened again; the load goes on for ``--after`` seconds and stops. Once the
bridge has replayed its spool, every session must be in ``session_history`` exactly once
with its Stop's counters, and ``usage_counter`` must hold exactly the sum of all sessions.
Exit status 1 otherwise. Prints and writes (``--json``) the counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import heapq
import json
import os
import random
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import asyncpg

from bench import benchdb, servers

IN_OCTETS, OUT_OCTETS = 1000, 3000  # per second of session


class Proxy:
    """A TCP forwarder to PostgreSQL that can be cut (connections reset, port refused)."""

    def __init__(self, port: int, target=("127.0.0.1", 5432)):
        self.port, self.target = port, target
        self.server = None
        self.writers: set = set()

    async def _pipe(self, reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers.update((writer, up_writer))
        with contextlib.suppress(asyncio.CancelledError):  # the loop ends with them open
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def open(self):
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def close(self):
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()


def _attr(t: int, value) -> bytes:
    if isinstance(value, int):
        value = value.to_bytes(4, "big")
    return bytes((t, len(value) + 2)) + value


def _record(secret: bytes, ident: int, kind: int, sid: str, user: str, seconds: int) -> bytes:
    attrs = [(40, kind), (44, sid.encode()), (1, user.encode()), (87, b"bench"), (46, seconds),
             (42, seconds * IN_OCTETS), (43, seconds * OUT_OCTETS)]  # fmt: skip
    body = b"".join(_attr(t, v) for t, v in attrs)
    head = bytes((4, ident)) + (20 + len(body)).to_bytes(2, "big")
    return head + hashlib.md5(head + bytes(16) + body + secret).digest() + body


class Nas(asyncio.DatagramProtocol):
    """One socket, up to 256 records awaiting their Accounting-Response."""

    def __init__(self, stats):
        self.stats = stats
        self.free = list(range(256))
        self.pending: dict[int, list] = {}  # ident → [packet, next resend, first sent]
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        entry = self.pending.pop(data[1], None)
        if entry is None:
            self.stats["late_replies"] += 1  # the answer to a resend already answered
            return
        self.free.append(data[1])
        self.stats["acked"] += 1
        self.stats["max_ack_s"] = max(self.stats["max_ack_s"], time.monotonic() - entry[2])


async def play(args, port: int, secret: bytes, proxy: Proxy) -> dict:
    loop = asyncio.get_running_loop()
    stats = {"sent": 0, "resent": 0, "acked": 0, "late_replies": 0, "max_ack_s": 0.0,
             "sessions": 0}  # fmt: skip
    socks = []
    for _ in range(64):
        _, proto = await loop.create_datagram_endpoint(
            lambda: Nas(stats), remote_addr=("127.0.0.1", port)
        )
        socks.append(proto)
    plan: list = []  # (due, seq, kind, sid, user, seconds)
    seq = 0
    start = time.monotonic()
    end = start + args.before + args.outage + args.after
    cut_at, back_at = start + args.before, start + args.before + args.outage
    cut = back = False
    interval = 1.0 / args.rate
    next_new = start
    prefix = f"o{os.getpid():x}-"
    sessions = []
    while True:
        now = time.monotonic()
        if not cut and now >= cut_at:
            await proxy.close()
            cut = True
            print(f"{now - start:5.1f} s: database cut", flush=True)
        if cut and not back and now >= back_at:
            await proxy.open()
            back = True
            print(f"{now - start:5.1f} s: database back", flush=True)
        # Every record is one third of a session: a new session every three intervals.
        while now < end and next_new <= now:
            stats["sessions"] += 1
            sid, user = (
                f"{prefix}{stats['sessions']}",
                f"user{random.randint(1, 9) + 10 * random.randrange(args.accounts // 10)}",
            )
            sessions.append((sid, user))
            for offset, kind, secs in ((0, 1, 0), (2, 3, 2), (4, 2, 4)):
                seq += 1
                heapq.heappush(plan, (next_new + offset, seq, kind, sid, user, secs))
            next_new += 3 * interval
        while plan and plan[0][0] <= now:
            sock = min(socks, key=lambda s: len(s.pending))
            if not sock.free:
                break
            _, _, kind, sid, user, secs = heapq.heappop(plan)
            ident = sock.free.pop()
            packet = _record(secret, ident, kind, sid, user, secs)
            sock.pending[ident] = [packet, now + 1.0, now]
            sock.transport.sendto(packet)
            stats["sent"] += 1
        for sock in socks:  # a NAS resends what is unanswered, every second
            for entry in sock.pending.values():
                if entry[1] <= now:
                    sock.transport.sendto(entry[0])
                    entry[1] = now + 1.0
                    stats["resent"] += 1
        if now >= end and not plan and not any(s.pending for s in socks):
            break
        if now > end + 120:
            print("records still unanswered 120 s after the load", file=sys.stderr)
            break
        await asyncio.sleep(0.002)
    stats["unanswered"] = sum(len(s.pending) for s in socks)
    stats["records"] = 3 * stats["sessions"]
    stats["seconds"] = round(time.monotonic() - start, 1)
    return stats, sessions


async def verify(dsn: str, prefix_sessions) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        sids = [sid for sid, _ in prefix_sessions]
        rows = await conn.fetch(
            "SELECT acct_session_id, count(*) AS n, min(session_time) AS t, "
            "min(input_bytes) AS i, min(output_bytes) AS o, min(closed_by) AS c "
            "FROM zm_radius.session_history WHERE acct_session_id = ANY($1::text[]) GROUP BY 1",
            sids,
        )
        live = await conn.fetchval(
            "SELECT count(*) FROM zm_radius.session WHERE acct_session_id = ANY($1::text[])", sids
        )
        usage = await conn.fetchrow(
            "SELECT coalesce(sum(session_time), 0) AS t, coalesce(sum(input_bytes), 0) AS i, "
            "coalesce(sum(output_bytes), 0) AS o FROM zm_radius.usage_counter"
        )
    finally:
        await conn.close()
    by = {r["acct_session_id"]: r for r in rows}
    n = len(sids)
    return {
        "sessions_expected": n,
        "sessions_in_history": len(by),
        "lost": n - len(by),
        "doubled": sum(1 for r in rows if r["n"] > 1),
        "wrong_counters": sum(
            1
            for r in rows
            if (r["t"], r["i"], r["o"], r["c"]) != (4, 4 * IN_OCTETS, 4 * OUT_OCTETS, "stop")
        ),  # fmt: skip
        "still_live": live,
        "usage_expected": [4 * n, 4 * IN_OCTETS * n, 4 * OUT_OCTETS * n],
        "usage_counted": [int(usage["t"]), int(usage["i"]), int(usage["o"])],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rate", type=float, default=2000.0, help="accounting records per second")
    ap.add_argument("--outage", type=float, default=60.0, help="seconds PostgreSQL is cut")
    ap.add_argument("--before", type=float, default=10.0)
    ap.add_argument("--after", type=float, default=20.0)
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--pg", default=os.environ.get("ZM_BENCH_PG", "postgresql://zm@127.0.0.1:5432"))
    ap.add_argument("--port-base", type=int, default=21960)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    secret = "outagesecret"
    db_name = f"zm_bench_outage_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="zm_outage_"))
    benchdb.create(args.pg, db_name)
    dsn = benchdb.dsn_for(args.pg, db_name)
    pb = args.port_base
    srv = None
    try:
        benchdb.seed_with_bridge(dsn, args.accounts, secret)
        proxied = dsn.replace("127.0.0.1:5432", f"127.0.0.1:{pb + 5}")

        async def run():
            nonlocal srv
            proxy = Proxy(pb + 5)
            await proxy.open()
            srv = servers.bridge(work, proxied, pb + 2, pb + 3, metrics_port=pb + 4)
            srv.start()
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(None, srv.wait_ready, secret, args.accounts)
                stats, sessions = await play(args, pb + 3, secret.encode(), proxy)
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:  # the spool replayed?
                    text = await loop.run_in_executor(
                        None,
                        lambda: urllib.request.urlopen(f"http://127.0.0.1:{pb + 4}/metrics").read(),
                    )
                    if b"radius_bridge_spooling 0" in text:
                        break
                    await asyncio.sleep(0.5)
                metrics = {
                    line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                    for line in text.decode().splitlines()
                    if line
                    and not line.startswith("#")
                    and ("spool" in line or "accounting" in line)
                }
                checked = await verify(dsn, sessions)
            finally:
                srv.stop()  # before the proxy goes: the bridge's connections run through it
                await proxy.close()
            return {**stats, **checked, "bridge": metrics, "rate": args.rate,
                    "outage_s": args.outage}  # fmt: skip

        result = asyncio.run(run())
    finally:
        if srv is not None:
            srv.stop()
        benchdb.drop(args.pg, db_name)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    ok = (
        result["lost"] == 0
        and result["doubled"] == 0
        and result["wrong_counters"] == 0
        and result["unanswered"] == 0
        and result["usage_counted"] == result["usage_expected"]
    )
    print("OK: 0 lost, 0 doubled" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
