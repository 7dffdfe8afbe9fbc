"""Run a load in one or more processes and summarise it: rates, latency percentiles."""

import asyncio
import dataclasses
import multiprocessing
from array import array

from .engine import LoadConfig, LoadStats, run_load_async


def _worker(cfg: LoadConfig) -> dict:
    stats = asyncio.run(run_load_async(cfg))
    out = dataclasses.asdict(stats)
    out["latencies"] = stats.latencies.tobytes()
    return out


def run_load(cfg: LoadConfig, procs: int = 1) -> dict:
    """Run ``cfg`` split over ``procs`` processes; return the summary dict."""
    if procs <= 1:
        stats = asyncio.run(run_load_async(cfg))
        return summarize(cfg, [stats], procs=1)
    if cfg.outstanding < procs:
        raise ValueError("need at least one outstanding request per process")
    offset = cfg.user_offset
    if offset < 0:
        import random

        offset = random.randrange(1 << 30)
    shares = []
    for i in range(procs):
        share = cfg.outstanding // procs + (1 if i < cfg.outstanding % procs else 0)
        count = cfg.count // procs + (1 if i < cfg.count % procs else 0) if cfg.count else 0
        shares.append(
            dataclasses.replace(
                cfg, outstanding=share, count=count, user_offset=offset, stride=procs, phase=i
            )
        )
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        raw = pool.map(_worker, shares)
    stats = []
    for r in raw:
        lat = array("d")
        lat.frombytes(r.pop("latencies"))
        stats.append(LoadStats(**r, latencies=lat))
    return summarize(cfg, stats, procs=procs)


def _pct(sorted_vals, q: float) -> float:
    if not sorted_vals:
        return 0.0
    idx = min(len(sorted_vals) - 1, max(0, int(round(q * len(sorted_vals))) - 1))
    return sorted_vals[idx]


def summarize(cfg: LoadConfig, parts: list, procs: int = 1) -> dict:
    """Merge per-process statistics into one JSON-ready dict (latencies in ms)."""
    lat = sorted(x for s in parts for x in s.latencies)
    total = {
        k: sum(getattr(s, k) for s in parts)
        for k in (
            "sent",
            "retransmits",
            "accepts",
            "rejects",
            "acct_ok",
            "timeouts",
            "bad",
            "unexpected",
        )
    }
    elapsed = max((s.elapsed for s in parts), default=0.0)
    replies = len(lat)
    cpu = sum(s.cpu_s for s in parts)
    return {
        "mode": cfg.mode,
        "server": f"{cfg.host}:{cfg.port}",
        "procs": procs,
        "outstanding": cfg.outstanding,
        "duration_s": round(elapsed, 3),
        **total,
        "replies": replies,
        "rps": round(replies / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(_pct(lat, 0.50) * 1000, 3),
        "p90_ms": round(_pct(lat, 0.90) * 1000, 3),
        "p99_ms": round(_pct(lat, 0.99) * 1000, 3),
        "max_ms": round((lat[-1] if lat else 0.0) * 1000, 3),
        "gen_cpu_pct": round(100 * cpu / elapsed, 1) if elapsed else 0.0,
    }


COLUMNS = (
    ("mode", "mode", "{}"),
    ("procs", "procs", "{}"),
    ("K", "outstanding", "{}"),
    ("req/s", "rps", "{:.0f}"),
    ("p50 ms", "p50_ms", "{:.2f}"),
    ("p90 ms", "p90_ms", "{:.2f}"),
    ("p99 ms", "p99_ms", "{:.2f}"),
    ("max ms", "max_ms", "{:.1f}"),
    ("sent", "sent", "{}"),
    ("accept", "accepts", "{}"),
    ("reject", "rejects", "{}"),
    ("acct", "acct_ok", "{}"),
    ("timeout", "timeouts", "{}"),
    ("bad", "bad", "{}"),
    ("gen CPU %", "gen_cpu_pct", "{}"),
)


def format_table(rows: list, label_key: str | None = None) -> str:
    """A Markdown table of summaries, one row each (optionally led by ``label_key``)."""
    cols = list(COLUMNS)
    if any("server_cpu_pct" in r for r in rows):
        cols += [("srv CPU %", "server_cpu_pct", "{}"), ("PG CPU %", "postgres_cpu_pct", "{}")]
    if label_key:
        cols.insert(0, (label_key, label_key, "{}"))
    head = "| " + " | ".join(c[0] for c in cols) + " |"
    sep = "|" + "|".join("---" for _ in cols) + "|"
    lines = [head, sep]
    for r in rows:
        lines.append("| " + " | ".join(fmt.format(r.get(key, "")) for _, key, fmt in cols) + " |")
    return "\n".join(lines)
