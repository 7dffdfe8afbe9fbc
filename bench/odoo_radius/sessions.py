"""Session records (G1) and online users (C6) in Odoo over months of history.

Fills the bridge's ``session_history`` of a database seeded by ``bench.odoo_radius.seed``
with N closed sessions per month (accounts ``user<i>``, the bench NAS, an IPv4 address and
a MAC per session, spread over each month), then times what an area operator's lists do —
through the ORM, as that operator, with the area rules — and prints a table of medians
with the spread. Beside them, the same operator's subscriber list, as Odoo's own floor of
an area-ruled list on this database.

    PYTHONPATH=. /opt/odoo18/venv/bin/python -m bench.odoo_radius.sessions zm_radius_bench \\
        --months 6 --per-month 1000000          # fills once (skipped when already there)
"""

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.odoo_desk.odoo_env import environment, load_registry

S = "zm_radius"

_FILL = f"""
INSERT INTO {S}.session_history
    (nas_id, acct_session_id, username, nas_port_id, started_at, updated_at, last_seen_at,
     session_time, input_bytes, output_bytes, framed_ip, calling_station_id,
     called_station_id, nas_port, interim_interval, stopped_at, terminate_cause, closed_by,
     account_id)
SELECT %(nas)s, 'bench-' || %(month)s || '-' || i, u,
       'port-' || (i %% 4096), t - d, t, t, extract(epoch FROM d)::bigint,
       (i %% 997) * 1000003, (i %% 991) * 5000011,
       ('10.' || (i / 65536) %% 256 || '.' || (i / 256) %% 256 || '.' || i %% 256)::inet,
       lpad(to_hex(i %% 16777216), 12, '0'), 'bench-bras', i %% 4096, 300, t,
       'User-Request', 'stop',
       (SELECT a.id FROM zm_subscriber a WHERE lower(a.name) = u)
FROM generate_series(1::bigint, %(count)s) AS i,
     LATERAL (SELECT 'user' || (1 + (i * 7919) %% %(accounts)s) AS u) n,
     LATERAL (SELECT %(start)s::timestamptz
                     + ((i - 1)::float8 / %(count)s) * (%(end)s::timestamptz - %(start)s::timestamptz)
                     AS t,
                     make_interval(secs => 60 + (i %% 36000)) AS d) x
"""


def months_back(n):
    now = datetime.now(UTC)
    first = datetime(now.year, now.month, 1, tzinfo=UTC)
    out = []
    for _ in range(n):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return sorted(out)


def fill(env, months, per_month):
    cr = env.cr
    cr.execute(f"SELECT count(*) FROM {S}.session_history WHERE acct_session_id LIKE 'bench-%%'")
    if cr.fetchone()[0] >= months * per_month:
        print("history already filled", flush=True)
        return
    cr.execute("SELECT id FROM zm_nas WHERE name = 'bench'")
    nas = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM zm_subscriber WHERE name LIKE 'user%%'")
    accounts = cr.fetchone()[0]
    now = datetime.now(UTC)
    for first in months_back(months):
        end = min((first + timedelta(days=32)).replace(day=1), now - timedelta(minutes=5))
        cr.execute(f"SELECT {S}.history_partition(%s, %s)", [first.year, first.month])
        t0 = time.monotonic()
        cr.execute(
            _FILL,
            {"nas": nas, "month": first.strftime("%Y%m"), "accounts": accounts,
             "count": per_month, "start": first, "end": end},
        )  # fmt: skip
        env.cr.commit()
        print(f"{first:%Y-%m}: {per_month} sessions in {time.monotonic() - t0:.0f} s", flush=True)


def operator(env):
    """An operator of five of the bench's fifty areas (made once)."""
    user = env["res.users"].search([("login", "=", "bench_area_operator")])
    if not user:
        areas = env["zm.area"].search([("name", "like", "Bench area %")], order="name", limit=5)
        user = env["res.users"].create(
            {
                "name": "Bench area operator",
                "login": "bench_area_operator",
                "groups_id": [(6, 0, [env.ref("zm_broadband.group_operator").id,
                                      env.ref("base.group_user").id])],
                "zm_area_ids": [(6, 0, areas.ids)],
            }
        )  # fmt: skip
        env.cr.commit()
    return user


def timed(env, fn, repeats):
    times = []
    for _ in range(repeats):
        env.invalidate_all()
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
        env.cr.rollback()
    return times, result


def measure(env, user, repeats):
    History = env["zm.session.history"].with_user(user)
    Online = env["zm.session"].with_user(user)
    Accounts = env["zm.subscriber"].with_user(user)
    now = datetime.now(UTC).replace(tzinfo=None)
    month_ago = now - timedelta(days=30)
    fields = ["username", "nas_id", "started_at", "stopped_at", "session_time", "framed_ip",
              "calling_station_id", "input_bytes", "output_bytes", "area_id"]  # fmt: skip
    env.cr.execute(
        f"SELECT framed_ip, calling_station_id, stopped_at, username FROM "
        f"{S}.session_history WHERE acct_session_id LIKE 'bench-%%' ORDER BY id DESC LIMIT 1"
    )
    ip, mac, stopped, name = env.cr.fetchone()
    day = (stopped - timedelta(hours=12)).replace(tzinfo=None)
    cases = [
        ("subscriber list, 80 rows (Odoo's own floor)",
         lambda: Accounts.search_read([], ["name", "state", "expiry_at", "area_id"], limit=80)),
        ("session records, newest 80", lambda: History.search_read([], fields, limit=80)),
        ("session records of one account",
         lambda: History.search_read([("username", "=", name)], fields, limit=80)),
        ("who had this IP that day",
         lambda: History.search_read([("framed_ip", "=", str(ip).split("/")[0]),
                                      ("stopped_at", ">=", day),
                                      ("stopped_at", "<", day + timedelta(days=1))], fields)),
        ("sessions of a MAC, last 30 days",
         lambda: History.search_read([("calling_station_id", "=", mac),
                                      ("stopped_at", ">=", month_ago)], fields, limit=80)),
        ("count, last 30 days", lambda: History.search_count([("stopped_at", ">=", month_ago)])),
        ("counts per NAS and area, last 30 days",
         lambda: History.read_group([("stopped_at", ">=", month_ago)], ["nas_id"],
                                    ["nas_id", "area_id"], lazy=False)),
        ("online now, 80 rows", lambda: Online.search_read([], [f for f in fields if f != "stopped_at"], limit=80)),
    ]  # fmt: skip
    rows = []
    for label, fn in cases:
        times, result = timed(env, fn, repeats)
        size = result if isinstance(result, int) else len(result)
        rows.append((label, statistics.median(times), min(times), max(times), size))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--per-month", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    registry = load_registry(args.db)
    with environment(registry) as env:
        fill(env, args.months, args.per_month)
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(f"ANALYZE {S}.session_history")
    with environment(registry) as env:
        env.cr.execute(f"SELECT count(*) FROM {S}.session_history")
        total = env.cr.fetchone()[0]
        user = operator(env)
        print(f"{total:,} session records; operator of {len(user.zm_area_ids)} of 50 areas")
        print("| list, as an area operator | median ms | min–max ms | rows |")
        print("|---|---|---|---|")
        for label, med, lo, hi, size in measure(env, user, args.repeats):
            print(f"| {label} | {med:.1f} | {lo:.1f}–{hi:.1f} | {size:,} |")


if __name__ == "__main__":
    main()
