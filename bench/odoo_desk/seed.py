"""Seed a benchmark database: N subscribers by SQL COPY, some with real accounting.

Usage (the database must have zm_business installed, see README.md):

    PYTHONPATH=. /opt/odoo18/venv/bin/python -m bench.odoo_desk.seed zm_desk_bench \
        --subscribers 1000000 --history 10000
"""

import argparse
import io
import random
import time
from datetime import datetime, timedelta

from bench.odoo_desk.odoo_env import environment, load_registry

AREAS_TOP, AREAS_CHILD = 20, 10
STATES = ["active"] * 90 + ["paused"] * 4 + ["cancelled"] * 4 + ["waiting"] * 2


def setup_catalogue(env):
    """Chart of accounts, areas and one monthly package (ORM: a few hundred rows)."""
    company = env.ref("base.main_company")
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    company._zm_check_business_accounts()
    Area = env["zm.area"]  # the company's first area brings the broadband journals
    tops = Area.create([{"name": f"Bench {i:02d}", "code": f"B{i:02d}"} for i in range(AREAS_TOP)])
    leaves = Area.create(
        [
            {"name": f"Bench {t.code}-{j}", "code": f"{t.code}-{j}", "parent_id": t.id}
            for t in tops
            for j in range(AREAS_CHILD)
        ]
    )
    tax = env["account.tax"].search(
        [("type_tax_use", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    package = env["zm.package"].create(
        {
            "name": "Bench monthly 30",
            "code": "BENCH30",
            "kind": "month",
            "price": 30.0,
            "tax_ids": [(6, 0, tax.ids)],
        }
    )
    return company, leaves, package


def reserve_ids(cr, sequence, count):
    cr.execute(f"SELECT nextval('{sequence}')")
    first = cr.fetchone()[0]
    cr.execute(f"SELECT setval('{sequence}', %s)", [first + count])
    return first


def copy_rows(cr, table, columns, rows):
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buf.seek(0)
    cr.copy_from(buf, table, columns=columns)


def seed_subscribers(env, company, leaves, package, count, chunk=100_000):
    """COPY ``count`` billing partners and subscribers; return the subscriber ids."""
    cr = env.cr
    now = datetime.utcnow().replace(microsecond=0)
    rng = random.Random(42)
    partner_first = reserve_ids(cr, "res_partner_id_seq", count)
    sub_first = reserve_ids(cr, "zm_subscriber_id_seq", count)
    leaf_ids = leaves.ids
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        partners, subs = [], []
        for k in range(start, start + n):
            pid, sid, name = partner_first + k, sub_first + k, f"bench{k:07d}"
            area = rng.choice(leaf_ids)
            partners.append(
                (pid, name, name, "t", "contact", pid, company.id, "ask", "f", area, now, now, 1, 1)
            )
            state = rng.choice(STATES)
            expiry = now + timedelta(hours=rng.randint(-60 * 24, 300 * 24))
            subs.append(
                (
                    sid,
                    name,
                    area,
                    package.id,
                    pid,
                    company.id,
                    state,
                    "normal",
                    "ftth",
                    1,
                    0,
                    "f",
                    expiry if state != "waiting" else None,
                    now,
                    now,
                    now,
                    1,
                    1,
                )
            )
        copy_rows(
            cr,
            "res_partner",
            [
                "id",
                "name",
                "complete_name",
                "active",
                "type",
                "commercial_partner_id",
                "company_id",
                "autopost_bills",
                "is_company",
                "zm_area_id",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            partners,
        )
        copy_rows(
            cr,
            "zm_subscriber",
            [
                "id",
                "name",
                "area_id",
                "package_id",
                "partner_id",
                "company_id",
                "state",
                "property",
                "access_type",
                "session_limit",
                "credit_limit",
                "auto_renew",
                "expiry_at",
                "opened_at",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            subs,
        )
        cr.commit()
        print(f"  copied {start + n:>9,} subscribers", flush=True)
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE zm_subscriber")
    env.invalidate_all()
    return list(range(sub_first, sub_first + count))


def seed_history(env, subscriber_ids, chunk=250):
    """Give accounts a real history: a top-up and a month bought, posted and reconciled.

    Batched through the ORM (create / post / reconcile many at once), not one
    transaction per account: the measured renewals go through the real action.
    """
    company = env.ref("base.main_company")
    cash = company._zm_journal("cash")
    Sub = env["zm.subscriber"]
    for start in range(0, len(subscriber_ids), chunk):
        subs = Sub.browse(subscriber_ids[start : start + chunk])
        subs.write({"state": "active"})
        orders = env["zm.order"].create(
            [
                {
                    "subscriber_id": s.id,
                    "kind": "topup",
                    "amount": 100.0,
                    "journal_id": cash.id,
                    "company_id": company.id,
                    "area_id": s.area_id.id,
                }
                for s in subs
            ]
            + [
                {
                    "subscriber_id": s.id,
                    "kind": "renew",
                    "package_id": s.package_id.id,
                    "periods": 1,
                    "company_id": company.id,
                    "area_id": s.area_id.id,
                }
                for s in subs
            ]
        )
        topups, renews = orders[: len(subs)], orders[len(subs) :]
        payments = env["account.payment"].create(
            [s._zm_prepare_payment_vals(o, 100.0, cash) for s, o in zip(subs, topups)]
        )
        payments.action_post()
        payments.action_validate()
        now = datetime.utcnow().replace(microsecond=0)
        invoices = env["account.move"].create(
            [
                s._zm_prepare_invoice_vals(
                    o,
                    [
                        s._zm_prepare_invoice_line_vals(
                            s.package_id,
                            1,
                            s.package_id.price,
                            now,
                            s._zm_service_end(s.package_id, 1, now),
                        )
                    ],
                )
                for s, o in zip(subs, renews)
            ]
        )
        subs[:1]._zm_post(invoices)
        plans = []
        for pay, inv in zip(payments, invoices):
            lines = (pay.move_id.line_ids | inv.line_ids).filtered(
                lambda ln: ln.account_id.account_type == "asset_receivable"
            )
            plans.append(lines)
        env["account.move.line"]._reconcile_plan(plans)
        for s, inv in zip(subs, invoices):
            s.expiry_at = inv.invoice_line_ids.zm_service_end
            s.zm_anchor_day = s._zm_local_day(now)
        env.cr.commit()
        print(f"  history for {start + len(subs):>7,} accounts", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dbname")
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=10_000)
    args = parser.parse_args()
    registry = load_registry(args.dbname)
    t0 = time.perf_counter()
    with environment(registry) as env:
        if env["zm.subscriber"].search_count([("name", "=like", "bench%")], limit=1):
            raise SystemExit("already seeded")
        company, leaves, package = setup_catalogue(env)
        env.cr.commit()
        ids = seed_subscribers(env, company, leaves, package, args.subscribers)
        print(f"copied in {time.perf_counter() - t0:.0f} s", flush=True)
        t1 = time.perf_counter()
        step = max(1, len(ids) // args.history)
        seed_history(env, ids[::step][: args.history])
        print(f"history in {time.perf_counter() - t1:.0f} s", flush=True)
    # fresh planner statistics, as a database a day into service has: without them
    # every figure measured next is off (seen: renewal 314 ms stale, 205 ms analysed)
    vacuum_analyze(registry)
    print(f"seeded and analysed in {time.perf_counter() - t0:.0f} s", flush=True)


def vacuum_analyze(registry):
    """VACUUM ANALYZE the whole database (it cannot run inside a transaction)."""
    import psycopg2
    from odoo.tools import config

    conn = psycopg2.connect(
        dbname=registry.db_name,
        host=config["db_host"] or None,
        port=config["db_port"] or None,
        user=config["db_user"] or None,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
