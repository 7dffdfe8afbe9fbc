"""Measure server-side renewals and the filtered subscriber list on a seeded database.

PYTHONPATH=. /opt/odoo18/venv/bin/python -m bench.odoo_desk.measure zm_desk_bench
"""

import argparse
import random
import statistics
import time

from bench.odoo_desk.odoo_env import environment, load_registry

LIST_SPEC = {
    "name": {},
    "area_id": {"fields": {"display_name": {}}},
    "package_id": {"fields": {"display_name": {}}},
    "expiry_at": {},
    "expiry_state": {},
    "state": {},
    "balance": {},
}


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _funded(env, sub_id):
    """The account, with money for one more month on its balance (topped up untimed)."""
    account = env["zm.subscriber"].browse(sub_id)
    if account.balance < 100:
        account.action_topup(100.0, "cash")
        env.cr.commit()
    return account


def renew(env, account):
    """Our renewal: one ``action_renew`` (order, invoice posted, paid from the balance)."""
    order = account.action_renew()
    env.flush_all()
    return order.move_ids


def odoo_floor(env, account):
    """Odoo's own work for the same sale: a plain customer invoice of the same product and
    taxes, created, posted and reconciled against the payment already on the partner -
    what Odoo does for any prepaid sale, with nothing of ours."""
    package = account.package_id
    invoice = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": account.partner_id.id,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": package.product_id.id,
                        "quantity": 1,
                        "price_unit": package.price,
                        "tax_ids": [(6, 0, package.tax_ids.ids)],
                    },
                )
            ],
        }
    )
    invoice.action_post()
    lines = env["account.move.line"].search(
        [
            ("partner_id", "=", account.partner_id.id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
        ]
    )
    lines.reconcile()
    env.flush_all()
    return invoice


def measure_renewals(registry, count):
    """Renewals and Odoo's floor, alternating on random accounts with history, each its
    own committed transaction; returns ``(renewal timings, floor timings)``."""
    with environment(registry) as env:
        env.cr.execute(
            "SELECT DISTINCT subscriber_id FROM zm_order WHERE kind = 'renew' AND state = 'done'"
        )
        ids = [row[0] for row in env.cr.fetchall()]
    rng = random.Random(7)
    picked = rng.sample(ids, 2 * count)
    timings = {"renewal": [], "floor": []}
    for index in range(count):
        # alternate which goes first, so drift and caches favour neither
        pairs = [
            ("renewal", renew, picked[2 * index]),
            ("floor", odoo_floor, picked[2 * index + 1]),
        ]
        if index % 2:
            pairs.reverse()
        for label, work, sub_id in pairs:
            with environment(registry) as env:
                account = _funded(env, sub_id)
                t0 = time.perf_counter()
                moves = work(env, account)
                env.cr.commit()
                timings[label].append(time.perf_counter() - t0)
                paid = moves.filtered(lambda m: m.move_type == "out_invoice")
                assert paid.payment_state == "paid", (label, paid.payment_state)
    return timings["renewal"], timings["floor"]


def measure_list(registry, runs):
    """The subscriber list view: filter by derived state and area, first page + count."""
    timings = []
    with environment(registry) as env:
        tops = env["zm.area"].search([("parent_id", "=", False), ("code", "=like", "B%")])
        rng = random.Random(11)
        for _ in range(runs):
            area = rng.choice(tops)
            state = rng.choice(["expiring", "expired", "normal"])
            domain = [("expiry_state", "=", state), ("area_id", "child_of", area.id)]
            env.invalidate_all()
            t0 = time.perf_counter()
            result = env["zm.subscriber"].web_search_read(
                domain, LIST_SPEC, limit=80, count_limit=10001
            )
            timings.append(time.perf_counter() - t0)
            assert result["records"], (state, area.name)
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dbname")
    parser.add_argument("--renewals", type=int, default=200, help="renewals (and as many floors)")
    parser.add_argument("--lists", type=int, default=30)
    args = parser.parse_args()
    registry = load_registry(args.dbname)
    with environment(registry) as env:
        total = env["zm.subscriber"].search_count([])
    print(f"subscribers: {total:,}")
    renewals, floors = measure_renewals(registry, args.renewals)
    lists = measure_list(registry, args.lists)
    for label, values in (("renewal", renewals), ("floor", floors), ("list", lists)):
        print(
            f"{label:8s} n={len(values)} median={statistics.median(values) * 1000:.0f} ms "
            f"p10={percentile(values, 0.1) * 1000:.0f} ms p90={percentile(values, 0.9) * 1000:.0f} ms "
            f"max={max(values) * 1000:.0f} ms"
        )
    ratio = statistics.median(renewals) / statistics.median(floors)
    halves = [statistics.median(renewals[i::2]) / statistics.median(floors[i::2]) for i in range(2)]
    print(
        f"renewal / Odoo floor = {ratio:.2f} (halves {halves[0]:.2f} and {halves[1]:.2f}; "
        "target <= 1.3)"
    )


if __name__ == "__main__":
    main()
