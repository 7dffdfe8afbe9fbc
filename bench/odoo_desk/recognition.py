"""Monthly revenue recognition over N prepaid sale lines (default 1,000,000).

    PYTHONPATH=. /opt/odoo18/venv/bin/python -m bench.odoo_desk.recognition zm_desk_bench

Makes a company of its own ("Recognition bench", generic chart) in the benchmark
database and COPYs N posted sale lines into it: one invoice line on the
contract-liability account per line, a month of service each, starting on random days
of the previous month, a tenth of them on paused accounts. Only the liability line of
each sale is written (what the recognition reads); the rest of the invoice is not, so
this company's books are for this benchmark only. Then it runs the recognition the way
the cron does - batch after batch, each its own committed transaction - and prints the
time per batch, the total, and a second run over the same cut (which must find
nothing to do).
"""

import argparse
import io
import random
import statistics
import time
from datetime import datetime, timedelta

from bench.odoo_desk.odoo_env import environment, load_registry

COMPANY = "Recognition bench"


def setup(env, count):
    Company = env["res.company"]
    company = Company.search([("name", "=", COMPANY)])
    if company:
        raise SystemExit(f'the company "{COMPANY}" exists: use a fresh benchmark database')
    company = Company.create({"name": COMPANY})
    env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    liability, _revenue = company._zm_check_business_accounts()
    journal = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
    )
    area = env["zm.area"].create({"name": "Recognition bench", "company_id": company.id})
    package = env["zm.package"].create(
        {"name": "Recognition monthly", "kind": "month", "price": 30.0, "company_id": company.id}
    )
    env.cr.commit()
    return company, liability, journal, area, package


def copy(cr, table, columns, rows):
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buf.seek(0)
    cr.copy_from(buf, table, columns=columns)


def seed(env, company, liability, journal, area, package, count, chunk=100_000):
    """COPY ``count`` accounts, their posted sale moves and liability lines."""
    cr = env.cr
    rng = random.Random(5)
    now = datetime.utcnow().replace(microsecond=0)
    month_start = now.replace(day=1, hour=0, minute=0, second=0)
    previous = (month_start - timedelta(days=1)).replace(day=1)
    currency = company.currency_id.id

    def reserve(sequence, n):
        cr.execute(f"SELECT nextval('{sequence}')")
        first = cr.fetchone()[0]
        cr.execute(f"SELECT setval('{sequence}', %s)", [first + n])
        return first

    partner0 = reserve("res_partner_id_seq", count)
    sub0 = reserve("zm_subscriber_id_seq", count)
    move0 = reserve("account_move_id_seq", count)
    line0 = reserve("account_move_line_id_seq", count)
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        partners, subs, moves, lines = [], [], [], []
        for k in range(start, start + n):
            pid, sid, mid, lid = partner0 + k, sub0 + k, move0 + k, line0 + k
            name = f"rec{k:07d}"
            begin = previous + timedelta(seconds=rng.randrange(28 * 86400))
            end = begin + timedelta(days=30)
            paused = rng.random() < 0.1
            partners.append((pid, name, name, "t", "contact", pid, company.id, "ask", "f", area.id))
            subs.append(
                (
                    sid, name, area.id, package.id, pid, company.id,
                    "paused" if paused else "active", "normal", "ftth", 1, 0, "f", end,
                    begin + timedelta(days=10) if paused else None,
                )
            )  # fmt: skip
            moves.append(
                (mid, f"REC/{k}", "posted", "out_invoice", journal.id, company.id, currency,
                 begin.date(), "no", sid, pid)
            )  # fmt: skip
            lines.append(
                (lid, mid, company.id, liability.id, currency, "product", "posted",
                 -30.0, 0.0, 30.0, 30.0, 30.0, 0.0, 0.0, "f", begin, end, "t", pid, begin.date())
            )  # fmt: skip
        copy(
            cr,
            "res_partner",
            ["id", "name", "complete_name", "active", "type", "commercial_partner_id",
             "company_id", "autopost_bills", "is_company", "zm_area_id"],
            partners,
        )  # fmt: skip
        copy(
            cr,
            "zm_subscriber",
            ["id", "name", "area_id", "package_id", "partner_id", "company_id", "state",
             "property", "access_type", "session_limit", "credit_limit", "auto_renew",
             "expiry_at", "paused_at"],
            subs,
        )  # fmt: skip
        copy(
            cr,
            "account_move",
            ["id", "name", "state", "move_type", "journal_id", "company_id", "currency_id",
             "date", "auto_post", "zm_subscriber_id", "partner_id"],
            moves,
        )  # fmt: skip
        copy(
            cr,
            "account_move_line",
            ["id", "move_id", "company_id", "account_id", "currency_id", "display_type",
             "parent_state", "balance", "debit", "credit", "zm_service_value",
             "zm_segment_value", "zm_earned_before", "zm_recognised", "zm_closed",
             "zm_service_start", "zm_service_end", "zm_open_service", "partner_id", "date"],
            lines,
        )  # fmt: skip
        cr.commit()
        print(f"  {start + n:>9,} sale lines", flush=True)
    cr.execute("ANALYZE account_move_line")
    cr.execute("ANALYZE account_move")
    cr.execute("ANALYZE zm_subscriber")
    cr.commit()


def run(registry, company_id, batch_size):
    """Batches as the cron runs them, each committed; returns the batch timings."""
    timings, total_lines = [], 0
    while True:
        with environment(registry) as env:
            company = env["res.company"].browse(company_id)
            Recognition = env["zm.revenue.recognition"]
            cut = Recognition._cut(company)
            t0 = time.perf_counter()
            count, move = Recognition._recognise_batch(company, cut, batch_size)
            env.cr.commit()
            if not count:
                return timings, total_lines, cut
            timings.append(time.perf_counter() - t0)
            total_lines += count
            if len(timings) % 20 == 0:
                remaining = Recognition._count_due(company, cut)
                print(f"  {total_lines:>9,} lines recognised, {remaining:,} left", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dbname")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    registry = load_registry(args.dbname)
    with environment(registry) as env:
        company, liability, journal, area, package = setup(env, args.lines)
        company_id = company.id
        t0 = time.perf_counter()
        seed(env, company, liability, journal, area, package, args.lines)
        print(f"seeded {args.lines:,} sale lines in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    timings, lines, cut = run(registry, company_id, args.batch)
    total = time.perf_counter() - t0
    print(
        f"recognition: {lines:,} lines in {len(timings)} batches of {args.batch}, "
        f"{total:.1f} s ({lines / total:,.0f} lines/s); batch median "
        f"{statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms; cut {cut}"
    )
    t0 = time.perf_counter()
    again, lines_again, __ = run(registry, company_id, args.batch)
    print(f"second run over the same cut: {lines_again} lines in {time.perf_counter() - t0:.2f} s")
    with environment(registry) as env:
        company = env["res.company"].browse(company_id)
        liability = company.zm_contract_liability_account_id
        env.cr.execute(
            "SELECT count(*), sum(debit) FROM account_move_line WHERE company_id = %s "
            "AND account_id = %s AND debit > 0",
            [company_id, liability.id],
        )
        entries, amount = env.cr.fetchone()
        env.cr.execute(
            "SELECT sum(zm_recognised) FROM account_move_line WHERE company_id = %s "
            "AND zm_service_value > 0",
            [company_id],
        )
        marked = env.cr.fetchone()[0]
        print(f"entries: {entries}, moved {amount:,.2f}; lines marked recognised {marked:,.2f}")


if __name__ == "__main__":
    main()
