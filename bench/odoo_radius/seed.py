"""Seed an Odoo 18 database with zm_radius for the RADIUS side-by-side at scale.

The same account set as ``radius_bridge seed`` (``user<i>`` / ``pass<i>``; those whose
number is a multiple of 10 paused, cancelled, expired or waiting for the first dial;
``lim<i>`` with a session limit of 1), but as Odoo's own records: billing partners and
subscribers written by server-side ``INSERT … SELECT generate_series`` (not the ORM) under
three packages with rate templates, in 50 areas, with a normal and an about-to-expire pool
and the bench NAS; the bridge then reads them through the ``zm_radius.account`` and
``nas`` views, exactly as in production. FreeRADIUS' stock tables are filled from the
same view, so both servers answer the same accounts from the same database. Finally the
bridge's own database role is made with the contract's grants.

    createdb -h 127.0.0.1 -U zm zm_radius_bench      # or let Odoo make it:
    PYTHONPATH=. /opt/odoo18/venv/bin/python /opt/odoo18/src/odoo-bin -c odoo.conf \\
        --addons-path=/opt/odoo18/src/addons,addons -d zm_radius_bench -i zm_radius \\
        --without-demo=all --stop-after-init
    PYTHONPATH=. /opt/odoo18/venv/bin/python -m bench.odoo_radius.seed zm_radius_bench \\
        --accounts 1000000 --limit1 20000 --secret benchsecret
    .venv/bin/python -m bench.radius_side_by_side --odoo-db zm_radius_bench --repeats 3
"""

import argparse
import asyncio
import time
from pathlib import Path

from bench.odoo_desk.odoo_env import REPO, environment, load_registry
from radius_bridge.roles import create_role, read_or_make_password
from radius_bridge.seed import _FREERADIUS, freeradius_schema_path

RATES = ((4096, 20480, "20M"), (10240, 102400, "100M"), (20480, 204800, "200M"))
AREAS = 50

# One statement for the billing partners, one for the accounts: rows i = 1..N of
# generate_series, ids from sequences reserved beforehand (partner first_p + i, account
# first_s + i). Same states and expiries as radius_bridge.seed._ACCOUNTS.
_PARTNERS = """
INSERT INTO res_partner (id, name, complete_name, active, type, commercial_partner_id,
                         company_id, autopost_bills, is_company, zm_area_id,
                         create_date, write_date, create_uid, write_uid)
SELECT %(first_p)s + i, %(prefix)s || i, %(prefix)s || i, true, 'contact', %(first_p)s + i,
       %(company)s, 'ask', false, (%(areas)s::int[])[1 + i %% %(n_areas)s],
       now(), now(), 1, 1
FROM generate_series(1, %(count)s) AS i
"""
_ACCOUNTS = """
INSERT INTO zm_subscriber (id, name, password, area_id, package_id, partner_id, company_id,
                           state, property, access_type, session_limit, credit_limit,
                           auto_renew, expiry_at, opened_at, first_dial_at,
                           create_date, write_date, create_uid, write_uid)
SELECT %(first_s)s + i, %(prefix)s || i, 'pass' || i,
       (%(areas)s::int[])[1 + i %% %(n_areas)s], (%(packages)s::int[])[1 + i %% 3],
       %(first_p)s + i, %(company)s,
       CASE WHEN %(limit1)s OR i %% 10 <> 0 THEN 'active'
            ELSE (ARRAY['paused', 'cancelled', 'active', 'waiting'])[(i / 10) %% 4 + 1] END,
       'normal', 'ftth', CASE WHEN %(limit1)s THEN 1 END, 0, false,
       CASE WHEN %(limit1)s THEN now() + interval '30 days'
            WHEN i %% 10 <> 0 THEN now() + interval '30 days' + (i %% 720) * interval '1 hour'
            WHEN (i / 10) %% 4 = 2 THEN now() - interval '1 day'
            WHEN (i / 10) %% 4 = 3 THEN NULL
            ELSE now() + interval '30 days' END,
       now() - interval '10 days',
       CASE WHEN NOT %(limit1)s AND i %% 10 = 0 AND (i / 10) %% 4 = 3 THEN NULL
            ELSE now() - interval '10 days' END,
       now(), now(), 1, 1
FROM generate_series(1, %(count)s) AS i
"""


def reserve_ids(cr, sequence, count):
    cr.execute(f"SELECT nextval('{sequence}')")
    first = cr.fetchone()[0]
    cr.execute(f"SELECT setval('{sequence}', %s)", [first + count + 1])
    return first


def catalogue(env, secret):
    """Areas, rate templates, packages, pools and the bench NAS (ORM: a few dozen rows)."""
    company = env.ref("base.main_company")
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    areas = env["zm.area"].create([{"name": f"Bench area {i:02d}"} for i in range(AREAS)])
    packages = env["zm.package"]
    for up, down, label in RATES:
        rate = env["zm.rate.template"].create(
            {
                "name": f"Bench {label}",
                "up_kbps": up,
                "down_kbps": down,
                "profile_ids": [(0, 0, {"vendor": "mikrotik", "profile_name": label})],
            }
        )
        packages |= env["zm.package"].create(
            {
                "name": f"Bench {label} monthly",
                "kind": "month",
                "period_mode": "natural",
                "price": 50.0,
                "quota_gb": 500.0,
                "quota_period": "month",
                "rate_template_id": rate.id,
            }
        )
    env["zm.ip.pool"].create(
        [{"name": "pool-normal", "kind": "normal"}, {"name": "pool-expiring", "kind": "expiring"}]
    )
    env["zm.nas"].create(
        {"name": "bench", "ip": "127.0.0.1", "nas_identifier": "bench-nas", "secret": secret}
    )
    return company, areas, packages


def fill(env, company, areas, packages, prefix, count, limit1):
    cr = env.cr
    first_p = reserve_ids(cr, "res_partner_id_seq", count)
    first_s = reserve_ids(cr, "zm_subscriber_id_seq", count)
    params = {
        "first_p": first_p,
        "first_s": first_s,
        "prefix": prefix,
        "company": company.id,
        "areas": areas.ids,
        "n_areas": len(areas),
        "packages": packages.ids,
        "count": count,
        "limit1": limit1,
    }
    cr.execute(_PARTNERS, params)
    cr.execute(_ACCOUNTS, params)


def freeradius_tables(cr, secret):
    """FreeRADIUS' stock schema, filled from the contract view (same accounts, same answers)."""
    cr.execute(Path(freeradius_schema_path()).read_text())
    for stmt in _FREERADIUS[:-1]:
        cr.execute(stmt.format(s="zm_radius"))
    cr.execute(_FREERADIUS[-1].replace("$1", "%s"), [secret])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--limit1", type=int, default=20_000)
    ap.add_argument("--secret", default="benchsecret")
    ap.add_argument("--role", default="zm_bridge")
    ap.add_argument("--password-file", default=str(REPO / "var" / "bridge-password"))
    ap.add_argument("--pg", default="postgresql://zm@127.0.0.1:5432")
    args = ap.parse_args(argv)
    registry = load_registry(args.db)
    t0 = time.monotonic()
    with environment(registry) as env:
        env.cr.execute("SELECT count(*) FROM zm_subscriber")
        if env.cr.fetchone()[0]:
            raise SystemExit(f"{args.db} already has subscribers: seed an empty database")
        company, areas, packages = catalogue(env, args.secret)
        env.cr.commit()
        # the bulk load writes no feed rows (nothing serves yet); one "everything" row after
        env.cr.execute("ALTER TABLE zm_subscriber DISABLE TRIGGER USER")
        fill(env, company, areas, packages, "user", args.accounts, False)
        fill(env, company, areas, packages, "lim", args.limit1, True)
        env.cr.execute("ALTER TABLE zm_subscriber ENABLE TRIGGER USER")
        env.cr.execute("INSERT INTO zm_radius.account_change (username) VALUES (NULL)")
        env.cr.commit()
        print(f"accounts: {time.monotonic() - t0:.0f} s", flush=True)
        t1 = time.monotonic()
        freeradius_tables(env.cr, args.secret)
        env.cr.commit()
        print(f"FreeRADIUS tables from the view: {time.monotonic() - t1:.0f} s", flush=True)
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE")
    password = read_or_make_password(Path(args.password_file))
    done = asyncio.run(create_role(f"{args.pg}/{args.db}", args.role, password))
    print(f"role {done['role']} ready; total {time.monotonic() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
