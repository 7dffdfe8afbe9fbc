"""Command line: ``serve``, ``check-config``, ``create-role``, ``spool-requeue`` and the
bench/test ``seed``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .config import ConfigError, load


def cmd_serve(args) -> int:
    from .runner import serve

    return serve(args.config)


def cmd_check_config(args) -> int:
    cfg = load(args.config)
    print(
        f"ok: listen {cfg.server.host} auth {cfg.server.auth_port} acct {cfg.server.acct_port}, "
        f"workers {cfg.server.workers}, schema {cfg.database.schema}"
    )
    if args.connect:
        from .db import check_contract, check_role, create_pool

        async def check():
            pool = await create_pool(cfg.database)
            try:
                version = await check_contract(pool, cfg.database.schema)
                await check_role(pool)
                return version
            finally:
                await pool.close()

        print(f"ok: database reachable, contract version {asyncio.run(check())}")
    return 0


def cmd_seed(args) -> int:
    from .seed import seed

    timings = asyncio.run(
        seed(
            args.dsn,
            args.accounts,
            args.nas_secret,
            freeradius=args.freeradius,
            schema=args.schema,
            limit1=args.limit1,
        )
    )
    print(" ".join(f"{k}={v:.1f}s" for k, v in timings.items()))
    return 0


def cmd_create_role(args) -> int:
    from pathlib import Path

    from .roles import bridge_dsn, create_role, read_or_make_password

    password = read_or_make_password(Path(args.password_file))
    done = asyncio.run(create_role(args.admin_dsn, args.role, password, args.schema))
    print(
        f"ok: role {done['role']} {'created' if done['created'] else 'updated'} with the "
        f"contract's grants on {done['database']}.{args.schema}"
    )
    print(
        f'dsn = "{bridge_dsn(args.admin_dsn, args.role, "<password in " + args.password_file + ">")}"'
    )
    return 0


def cmd_spool_requeue(args) -> int:
    import glob
    import os

    from .spool import requeue_quarantine

    cfg = load(args.config)
    workers = sorted(glob.glob(os.path.join(cfg.spool.path, "worker-*")))
    total = 0
    for path in workers:
        try:
            moved = requeue_quarantine(path)
        except RuntimeError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 1
        for before, after in moved:
            print(f"{path}: quarantine/{before} -> {after}")
        total += len(moved)
    print(f"ok: {total} quarantined segment(s) put back; the next start replays them")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="radius_bridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the RADIUS server")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("check-config", help="validate a configuration file")
    p.add_argument("--config", required=True)
    p.add_argument("--connect", action="store_true", help="also check the database contract")
    p.set_defaults(func=cmd_check_config)
    p = sub.add_parser("seed", help="create and fill the contract tables (bench, tests)")
    p.add_argument("--dsn", required=True)
    p.add_argument("--accounts", type=int, default=1000)
    p.add_argument("--nas-secret", required=True)
    p.add_argument("--schema", default="zm_radius")
    p.add_argument("--limit1", type=int, default=0, help="also N accounts lim<i> with limit 1")
    p.add_argument(
        "--freeradius",
        action="store_true",
        help="also create and fill FreeRADIUS' stock SQL tables",
    )
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser(
        "create-role",
        help="make the bridge's own database role with only the contract's grants",
    )
    p.add_argument(
        "--admin-dsn",
        required=True,
        help="Odoo's database as its owner, e.g. postgresql://odoo@127.0.0.1/odoo",
    )
    p.add_argument("--role", default="zm_bridge")
    p.add_argument(
        "--password-file",
        required=True,
        help="the role's password; made at random (mode 600) when the file does not exist",
    )
    p.add_argument("--schema", default="zm_radius")
    p.set_defaults(func=cmd_create_role)
    p = sub.add_parser(
        "spool-requeue",
        help="put quarantined spool segments back for the next start to replay (bridge stopped)",
    )
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_spool_requeue)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # connection refused, contract mismatch: one line, no traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
