"""radius_bridge vs FreeRADIUS 3.2 + rlm_sql, same PostgreSQL, same machine, same run.

    .venv/bin/python -m bench.radius_side_by_side              # 1,000,000 accounts, 20 s per test
    .venv/bin/python -m bench.radius_side_by_side --accounts 20000 --duration 5   # quick
    .venv/bin/python -m bench.radius_side_by_side --odoo-db zm_radius_bench  # Odoo's views

With ``--odoo-db`` the bridge answers from an Odoo 18 database's ``zm_radius`` views as its
own role (seeded by ``bench.odoo_radius.seed``, kept afterwards) and FreeRADIUS from its
stock tables filled from the same accounts, in the same database.

Creates database zm_bench_<pid>, seeds it, starts both servers on loopback,
warms them, runs PAP, CHAP, MS-CHAPv2, the limit-1 login path and accounting Start+Stop
against each in turn — ``--repeats`` times, interleaved — prints each run, then a
side-by-side table with the median and the spread (min–max) of every figure, writes JSON,
stops both servers and drops the database.
"""

import argparse
import fcntl
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import benchdb, servers
from bench.benchdb import REPO
from bench.radload import MODES, LoadConfig, run_load
from bench.radload.report import format_table

# Targets of issue 9: bridge/FreeRADIUS throughput ratio (median of the repeats), p99 for PAP.
TARGET_RATIO = {"pap": 4.0, "acct": 2.5}
TARGET_P99_MS = {"pap": 10.0}
ORDER = ("pap", "chap", "mschapv2", "pap-limit1", "acct")
LOCK_PATH = "/tmp/zm_bench_radius.lock"


def _proc_field(path: str, prefix: str) -> str:
    with open(path) as fh:
        return next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith(prefix)), "?")


def machine_info(dsn: str) -> dict:
    cpu = _proc_field("/proc/cpuinfo", "model name")
    mem_kb = int(_proc_field("/proc/meminfo", "MemTotal").split()[0])
    try:
        fr = subprocess.run(["freeradius", "-v"], capture_output=True, text=True).stdout
        fr_version = fr.splitlines()[0].split("Version ", 1)[1].split(",")[0]
    except (OSError, IndexError):
        fr_version = "?"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "postgresql": benchdb.server_version(dsn).split(" on ")[0],
        "freeradius": fr_version,
        "python": platform.python_version(),
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, steal seconds) from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    steal = fields[7] if len(fields) > 7 else 0
    return (sum(fields[:8]) - idle - steal) / tick, steal / tick


def bridge_cache(srv) -> dict:
    """The bridge's cache counters (its metrics port), to tell a cold cache from a warm one."""
    port = getattr(srv, "metrics_port", 0)
    if not port:
        return {}
    import urllib.request

    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    except OSError:
        return {}
    out = {}
    for line in text.decode().splitlines():
        if line.startswith("radius_bridge_cache_total"):
            name, value = line.rsplit(" ", 1)
            out[name.split('"')[1]] = float(value)
    return out


def measure(srv, mode: str, args, secret: str, db_name: str) -> dict:
    cfg = LoadConfig(
        port=srv.acct_port if mode == "acct" else srv.auth_port,
        secret=secret,
        mode=mode,
        outstanding=args.outstanding,
        duration=args.warmup,
        timeout=args.timeout,
        accounts=args.limit1_accounts if mode == "pap-limit1" else args.accounts,
    )
    srv.check_alive()
    if args.warmup > 0:
        run_load(cfg, procs=args.procs)
    cfg.duration = args.duration
    load_before = loadavg()
    cache0 = bridge_cache(srv)
    busy0, steal0 = machine_busy()
    cpu0, pg0, t0 = srv.cpu_seconds(), servers.postgres_cpu(db_name), time.monotonic()
    result = run_load(cfg, procs=args.procs)
    wall = time.monotonic() - t0
    busy1, steal1 = machine_busy()
    srv.check_alive()
    server_cpu = 100 * (srv.cpu_seconds() - cpu0) / wall
    pg_cpu = 100 * servers.postgres_cpu_since(db_name, pg0) / wall
    cache1 = bridge_cache(srv)
    misses = cache1.get("miss", 0) - cache0.get("miss", 0)
    lookups = misses + cache1.get("hit", 0) - cache0.get("hit", 0)
    result.update(
        server=srv.name,
        server_cpu_pct=round(server_cpu, 1),
        postgres_cpu_pct=round(pg_cpu, 1),
        # Everything else the machine did meanwhile (other sessions' work): the first
        # suspect when a figure moves between runs.
        other_cpu_pct=round(
            max(0.0, 100 * (busy1 - busy0) / wall - server_cpu - pg_cpu - result["gen_cpu_pct"]), 1
        ),
        steal_pct=round(100 * (steal1 - steal0) / wall, 1),
        cache_miss_pct=round(100 * misses / lookups, 1) if lookups else None,
        loadavg_before=load_before,
        loadavg_after=loadavg(),
    )
    return result


def _spread(values: list[float], digits: int = 0) -> str:
    """``median (min–max)`` of the repeats; just the value for one run."""
    fmt = f"{{:.{digits}f}}"
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def side_by_side(runs: list, base: str, other: str) -> str:
    """Per test: median and range of each server's figures over the repeats, the ratio of
    the medians with the range of the per-repeat ratios; targets judged on medians."""
    by: dict = {}
    for r in runs:
        by.setdefault((r["server"], r["mode"]), []).append(r)
    lines = [
        f"| test | runs | {base} req/s | {other} req/s | ratio (per-run range) | {base} p99 ms "
        f"| {other} p99 ms | {other} req/s spread | timeouts {base}/{other} | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mode in ORDER:
        a, b = by.get((base, mode)), by.get((other, mode))
        if not a or not b:
            continue
        a_rps, b_rps = [r["rps"] for r in a], [r["rps"] for r in b]
        ratio = statistics.median(b_rps) / statistics.median(a_rps) if min(a_rps) else 0.0
        pairs = [y["rps"] / x["rps"] for x, y in zip(a, b) if x["rps"]]
        b_p99 = statistics.median(r["p99_ms"] for r in b)
        spread = (max(b_rps) - min(b_rps)) / statistics.median(b_rps) if len(b) > 1 else 0.0
        goal, met = [], True
        if mode in TARGET_RATIO:
            goal.append(f"≥ {TARGET_RATIO[mode]}×")
            met &= ratio >= TARGET_RATIO[mode]
        timeouts_b = sum(r["timeouts"] for r in b)
        if mode in TARGET_P99_MS:
            goal.append(f"p99 < {TARGET_P99_MS[mode]:.0f} ms, 0 timeouts")
            met &= b_p99 < TARGET_P99_MS[mode] and timeouts_b == 0
        ratio_range = f" ({min(pairs):.2f}–{max(pairs):.2f})" if len(pairs) > 1 else ""
        lines.append(
            f"| {mode} | {len(b)} | {_spread(a_rps)} | {_spread(b_rps)} | {ratio:.2f}×{ratio_range} "
            f"| {_spread([r['p99_ms'] for r in a], 2)} | {_spread([r['p99_ms'] for r in b], 2)} "
            f"| ±{100 * spread / 2:.0f} % | {sum(r['timeouts'] for r in a)}/{timeouts_b} "
            f"| {', '.join(goal) or 'report'} | {('yes' if met else 'NO') if goal else '-'} |"
        )
    return "\n".join(lines)


def bridge_dsn_for(dsn: str, role: str, password: str) -> str:
    from radius_bridge.roles import bridge_dsn

    return bridge_dsn(dsn, role, password)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per measured test")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds before each test")
    ap.add_argument("-k", "--outstanding", type=int, default=32)
    ap.add_argument("--procs", type=int, default=1, help="load generator processes")
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--modes", default=",".join(ORDER))
    ap.add_argument("--repeats", type=int, default=3, help="runs of every test, interleaved")
    ap.add_argument(
        "--limit1-accounts", type=int, default=20_000, help="limit-1 accounts (pap-limit1)"
    )
    ap.add_argument("--servers", default="freeradius,bridge")
    ap.add_argument("--freeradius-sql-pool", type=int, default=0,
                    help="also run FreeRADIUS with this sql pool size (a second row)")  # fmt: skip
    ap.add_argument(
        "--bridge-workers", type=int, default=0, help="bridge worker processes (0: its default)"
    )
    ap.add_argument("--pg", default=os.environ.get("ZM_BENCH_PG", "postgresql://zm@127.0.0.1:5432"))
    ap.add_argument("--secret", default="benchsecret")
    ap.add_argument("--port-base", type=int, default=21900, help="ports base+12/13, +22/23, +32/33")
    ap.add_argument(
        "--json", help="where to write the results (default var/bench/radius-<time>.json)"
    )
    ap.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    ap.add_argument(
        "--odoo-db",
        help="an Odoo database seeded by bench.odoo_radius.seed: the bridge reads its views",
    )
    ap.add_argument("--bridge-role", default="zm_bridge", help="the bridge's role (--odoo-db)")
    ap.add_argument(
        "--bridge-password-file",
        default=str(REPO / "var" / "bridge-password"),
        help="that role's password (--odoo-db)",
    )
    args = ap.parse_args(argv)
    if not 0 < args.duration <= 600:
        ap.error("--duration must be in (0, 600]")
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown or args.repeats < 1:
        ap.error(f"unknown mode(s) {sorted(unknown)} or --repeats < 1")
    wanted = [s for s in args.servers.split(",") if s]

    # Two benchmarks at once on one machine measure each other: allow one at a time.
    lock = open(LOCK_PATH, "w")  # noqa: SIM115 - held until the process exits
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        ap.exit(2, f"another side-by-side run holds {LOCK_PATH}; wait for it to finish\n")

    db_name = args.odoo_db or f"zm_bench_{os.getpid()}"
    dsn = benchdb.dsn_for(args.pg, db_name)
    bridge_dsn = dsn
    db_user = args.pg.split("//", 1)[1].split("@", 1)[0].split(":", 1)[0]
    work = Path(tempfile.mkdtemp(prefix="zm_bench_radius_"))
    started, runs = [], []
    print(f"database {db_name}, scratch {work}", flush=True)
    if args.odoo_db:
        args.keep_db = True  # not ours to drop
        args.accounts, args.limit1_accounts = benchdb.odoo_account_counts(dsn)
        password = Path(args.bridge_password_file).read_text().strip()
        bridge_dsn = bridge_dsn_for(dsn, args.bridge_role, password)
    else:
        benchdb.create(args.pg, db_name)
    try:
        t0 = time.monotonic()
        if args.odoo_db:
            seeded_by = "Odoo 18 zm_radius views as the bridge's own role (bench.odoo_radius.seed)"
            print(f"{args.accounts} + {args.limit1_accounts} accounts in {db_name}", flush=True)
        elif benchdb.bridge_seed_available():
            benchdb.seed_with_bridge(dsn, args.accounts, args.secret, args.limit1_accounts)
            seeded_by = "radius_bridge seed --freeradius"
        else:
            if "bridge" in wanted:
                print("radius_bridge has no seed command yet: FreeRADIUS only", flush=True)
                wanted.remove("bridge")
            benchdb.seed_freeradius_only(dsn, args.accounts, args.secret)
            seeded_by = "bench.benchdb fallback (FreeRADIUS tables only)"
        print(f"seeded {args.accounts} accounts in {time.monotonic() - t0:.0f} s", flush=True)

        pb = args.port_base
        # FreeRADIUS opens up to its thread count (32) of connections, a tuned one N; the
        # bridge a few. Running out fails logins (and other users of the server): refuse.
        wanted_conns = 32 * ("freeradius" in wanted) + args.freeradius_sql_pool + 10
        free = benchdb.free_connections(dsn)
        if wanted_conns > free:
            raise SystemExit(
                f"PostgreSQL has {free} free connection slots, this run needs about "
                f"{wanted_conns}: raise max_connections or lower --freeradius-sql-pool"
            )
        plan = []
        if "freeradius" in wanted:
            plan.append(servers.freeradius(work, db_name, db_user, args.secret, pb + 12, pb + 13))
        if args.freeradius_sql_pool:
            plan.append(servers.freeradius(
                work, db_name, db_user, args.secret, pb + 32, pb + 33,
                sql_pool_max=args.freeradius_sql_pool,
                name=f"freeradius-sqlpool{args.freeradius_sql_pool}",
            ))  # fmt: skip
        if "bridge" in wanted:
            plan.append(servers.bridge(work, bridge_dsn, pb + 22, pb + 23, workers=args.bridge_workers,
                                       metrics_port=pb + 24))  # fmt: skip
        for srv in plan:
            srv.start()
            started.append(srv)
            srv.wait_ready(args.secret, args.accounts)
        info = machine_info(dsn)
        print(json.dumps(info), flush=True)
        print(f"load average before the runs: {loadavg()}", flush=True)
        # Repeats outer, modes, servers inner: a pair is measured seconds apart, and a burst
        # of other work on the machine hits one repeat, not every run of one server.
        for repeat in range(args.repeats):
            for mode in modes:
                for srv in plan:
                    r = measure(srv, mode, args, args.secret, db_name)
                    r["repeat"] = repeat
                    runs.append(r)
                    print(format_table([r], label_key="server").splitlines()[-1], flush=True)
                    print(f"  repeat {repeat + 1}: other CPU {r['other_cpu_pct']} %, steal "
                          f"{r['steal_pct']} %, load {r['loadavg_before']}, cache misses "
                          f"{r['cache_miss_pct']} %", flush=True)  # fmt: skip
                    time.sleep(1.0)
    finally:
        for srv in started:
            srv.stop()
        counts = {}
        try:
            counts = benchdb.table_counts(dsn)
        except Exception as exc:  # the report still matters more than the row counts
            print(f"(row counts unavailable: {exc})", file=sys.stderr)
        if not args.keep_db:
            benchdb.drop(args.pg, db_name)
        failed = any(r["timeouts"] or r["bad"] or r["unexpected"] for r in runs)
        if not started or (runs and not failed and not args.keep_db):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"server logs kept in {work}", file=sys.stderr)

    print()
    print(format_table(runs, label_key="server"))
    if {"freeradius", "bridge"} <= {r["server"] for r in runs}:
        print()
        print(side_by_side(runs, "freeradius", "bridge"))
    result = {
        "machine": info,
        "accounts": args.accounts,
        "seeded_by": seeded_by,
        "database": "odoo" if args.odoo_db else "seed",
        "duration_s": args.duration,
        "outstanding": args.outstanding,
        "procs": args.procs,
        "repeats": args.repeats,
        "limit1_accounts": args.limit1_accounts,
        "uptime_load": loadavg(),
        "runs": runs,
        "row_counts": counts,
    }
    out = Path(
        args.json
        or REPO / "var" / "bench" / time.strftime("radius-%Y%m%dT%H%M%SZ.json", time.gmtime())
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
