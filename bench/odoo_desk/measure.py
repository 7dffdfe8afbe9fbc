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


def measure_renewals(registry, count):
    """Renew ``count`` accounts with history, one committed transaction each."""
    with environment(registry) as env:
        env.cr.execute(
            "SELECT DISTINCT subscriber_id FROM zm_order WHERE kind = 'renew' AND state = 'done'"
        )
        ids = [row[0] for row in env.cr.fetchall()]
    rng = random.Random(7)
    timings = []
    for sub_id in rng.sample(ids, count):
        with environment(registry) as env:
            account = env["zm.subscriber"].browse(sub_id)
            if account.balance < 100:  # re-runs: top up first, untimed
                cash = account.company_id._zm_journal("cash")
                account.action_topup(100.0, cash.id)
                env.cr.commit()
            t0 = time.perf_counter()
            order = account.action_renew()
            env.flush_all()
            env.cr.commit()
            timings.append(time.perf_counter() - t0)
            assert order.move_ids.payment_state == "paid", order.move_ids.payment_state
    return timings


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
    parser.add_argument("--renewals", type=int, default=200)
    parser.add_argument("--lists", type=int, default=30)
    args = parser.parse_args()
    registry = load_registry(args.dbname)
    with environment(registry) as env:
        total = env["zm.subscriber"].search_count([])
    print(f"subscribers: {total:,}")
    renewals = measure_renewals(registry, args.renewals)
    lists = measure_list(registry, args.lists)
    for label, values in (("renewal", renewals), ("list", lists)):
        print(
            f"{label:8s} n={len(values)} median={statistics.median(values) * 1000:.0f} ms "
            f"p90={percentile(values, 0.9) * 1000:.0f} ms max={max(values) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
