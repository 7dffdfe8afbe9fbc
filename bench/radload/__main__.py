"""Command line: ``python -m bench.radload --port 1812 --secret S --mode pap``."""

import argparse
import json
import sys

from .engine import MODES, LoadConfig
from .report import format_table, run_load


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="radload", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument(
        "--port", type=int, default=1812, help="auth port, or acct port for --mode acct"
    )
    ap.add_argument("--secret", default="testing123")
    ap.add_argument("--mode", choices=MODES, default="pap")
    ap.add_argument("-k", "--outstanding", type=int, default=32)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds (upper bound)")
    ap.add_argument("--count", type=int, default=0, help="stop after this many requests (0: none)")
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--retries", type=int, default=0)
    ap.add_argument("--accounts", type=int, default=1000, help="users are user1..userN")
    ap.add_argument("--include-bad", action="store_true", help="also users numbered 10, 20, ...")
    ap.add_argument("--user-offset", type=int, default=-1, help="first user index (-1: random)")
    ap.add_argument("--nas-ip", default="127.0.0.1")
    ap.add_argument("--expect", choices=("accept", "reject", "any"), default="accept")
    ap.add_argument("--procs", type=int, default=1, help="generator processes")
    ap.add_argument("--json", metavar="FILE", help="also write the summary as JSON ('-': stdout)")
    args = ap.parse_args(argv)
    if args.duration <= 0 or args.duration > 3600:
        ap.error("--duration must be in (0, 3600]")
    cfg = LoadConfig(
        host=args.host,
        port=args.port,
        secret=args.secret,
        mode=args.mode,
        outstanding=args.outstanding,
        duration=args.duration,
        count=args.count,
        timeout=args.timeout,
        retries=args.retries,
        accounts=args.accounts,
        include_bad=args.include_bad,
        user_offset=args.user_offset,
        nas_ip=args.nas_ip,
        expect=args.expect,
    )
    summary = run_load(cfg, procs=args.procs)
    if args.json == "-":
        json.dump(summary, sys.stdout, indent=2)
        print()
    else:
        print(format_table([summary]))
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(summary, fh, indent=2)
    failed = summary["timeouts"] or summary["bad"] or summary["unexpected"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
