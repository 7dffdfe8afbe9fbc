"""SMS reminders at scale: two reminder jobs at once, then two senders at once, over
100,000 accounts expiring within the reminder window (issue 14).

    PYTHONPATH=. /opt/odoo18/venv/bin/python /opt/odoo18/src/odoo-bin -c odoo.conf \\
        --addons-path=/opt/odoo18/src/addons,addons -d zm_sms_bench -i zm_sms \\
        --without-demo=all --stop-after-init
    PYTHONPATH=. /opt/odoo18/venv/bin/python -m bench.odoo_sms.run zm_sms_bench \\
        --expiring 100000 --others 100000

The accounts are written by SQL (``INSERT … SELECT generate_series``); the provider is
the signature-checking fake Tencent Cloud of the add-on's tests, on loopback, in this
process. Each job is a process of its own (as two Odoo cron workers would be), started
at the same moment; the script then checks that the fake received exactly one message
per expiring account, and that a second run of both jobs sends nothing. JSON goes to
``var/bench/sms-<time>.json``.
"""

import argparse
import json
import subprocess
import sys
import time
from collections import Counter

from bench.odoo_desk.odoo_env import REPO, environment, load_registry
from bench.odoo_radius.seed import _PARTNERS, reserve_ids

TENCENT_ID, TENCENT_KEY = "AKIDbench", "bench-key"
PREFIX = "zm-sms-bench-"

_ACCOUNTS = """
INSERT INTO zm_subscriber (id, name, password, area_id, package_id, partner_id, company_id,
                           state, property, access_type, credit_limit, auto_renew,
                           expiry_at, opened_at, phone,
                           create_date, write_date, create_uid, write_uid)
SELECT %(first_s)s + i, %(prefix)s || i, 'pass' || i,
       (%(areas)s::int[])[1 + i %% %(n_areas)s], %(package)s, %(first_p)s + i, %(company)s,
       'active', 'normal', 'ftth', 0, false,
       CASE WHEN i <= %(expiring)s
            THEN (now() AT TIME ZONE 'UTC') + interval '1 hour' + (i %% 60) * interval '1 hour'
            ELSE (now() AT TIME ZONE 'UTC') + interval '30 days' END,
       (now() AT TIME ZONE 'UTC') - interval '20 days',
       '139' || lpad(i::text, 8, '0'),
       now(), now(), 1, 1
FROM generate_series(1, %(count)s) AS i
"""


def seed(registry, expiring, others):
    with environment(registry) as env:
        cr = env.cr
        cr.execute("SELECT count(*) FROM zm_subscriber WHERE name LIKE %s", [PREFIX + "%"])
        if cr.fetchone()[0]:
            print("seed: accounts already there; clearing the SMS log of earlier runs")
            cr.execute("DELETE FROM sms_sms WHERE zm_message_id IS NOT NULL")
            cr.execute("DELETE FROM zm_sms_message")
            cr.execute(
                "UPDATE zm_subscriber SET expiry_at = CASE "
                "WHEN split_part(name, '-', 4)::int <= %s THEN (now() AT TIME ZONE 'UTC') "
                "+ interval '1 hour' + (split_part(name, '-', 4)::int %% 60) * interval '1 hour' "
                "ELSE expiry_at END WHERE name LIKE %s",
                [expiring, PREFIX + "%"],
            )
            cr.commit()
            return
        company = env.ref("base.main_company")
        company.write(
            {"zm_sms_quiet_start": 0.0, "zm_sms_quiet_end": 0.0, "zm_sms_expiring_days": 3}
        )
        areas = env["zm.area"].create([{"name": f"SMS bench area {i:02d}"} for i in range(20)])
        package = env["zm.package"].create(
            {"name": "SMS bench monthly", "kind": "month", "price": 50.0}
        )
        count = expiring + others
        started = time.monotonic()
        params = {
            "first_p": reserve_ids(cr, "res_partner_id_seq", count),
            "first_s": reserve_ids(cr, "zm_subscriber_id_seq", count),
            "prefix": PREFIX,
            "company": company.id,
            "areas": areas.ids,
            "n_areas": len(areas),
            "package": package.id,
            "count": count,
            "expiring": expiring,
        }
        cr.execute(_PARTNERS, params)
        cr.execute(_ACCOUNTS, params)
        cr.commit()
        cr.execute("ANALYZE zm_subscriber")
        cr.execute("ANALYZE res_partner")
        print(
            f"seed: {count:,} accounts ({expiring:,} expiring) in {time.monotonic() - started:.0f} s"
        )


def configure(registry, url):
    with environment(registry) as env:
        company = env.ref("base.main_company")
        Provider = env["zm.sms.provider"].with_context(active_test=False)
        provider = Provider.search([("name", "=", "SMS bench")])
        vals = {"endpoint": url, "key_id": TENCENT_ID, "secret_key": TENCENT_KEY, "active": True}
        if provider:
            provider.write(vals)
        else:
            Provider.create(
                {
                    "name": "SMS bench",
                    "kind": "tencent",
                    "app_id": "1400000001",
                    "sign_name": "ZM",
                    "company_id": company.id,
                    "timeout": 10,
                    "template_ids": [
                        (
                            0,
                            0,
                            {
                                "name": "expiring",
                                "purpose": "expiring",
                                "template_code": "EXP01",
                                "params": "account,days,expiry",
                            },
                        ),
                    ],  # fmt: skip
                    **vals,
                }
            )
        env.cr.commit()


def job(dbname, role):
    """One worker: the reminder job or the sender, as the cron runs it (committing)."""
    registry = load_registry(dbname)
    started = time.monotonic()
    with environment(registry) as env:
        if role == "reminders":
            count = env["zm.subscriber"]._cron_sms_reminders(commit=True)
        else:
            count = env["zm.sms.message"]._cron_send(commit=True)
        env.cr.commit()
    print(json.dumps({"role": role, "count": count, "seconds": time.monotonic() - started}))


def at_once(dbname, role, workers):
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.odoo_sms.run", dbname, "--job", role],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    results = []
    for proc in procs:
        out, __ = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"{role} worker failed ({proc.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return time.monotonic() - started, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dbname")
    parser.add_argument("--expiring", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--job", choices=("reminders", "send"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        return job(args.dbname, args.job)

    sys.path.insert(0, str(REPO / "addons" / "zm_sms" / "tests"))
    from fake_providers import FakeSmsProviders

    fake = FakeSmsProviders(tencent_keys={TENCENT_ID: TENCENT_KEY}).start()
    try:
        registry = load_registry(args.dbname)
        seed(registry, args.expiring, args.others)
        configure(registry, fake.url)
        report = {"expiring": args.expiring, "others": args.others, "workers": args.workers}
        for phase, role in (("queue", "reminders"), ("send", "send"),
                            ("queue again", "reminders"), ("send again", "send")):  # fmt: skip
            seconds, results = at_once(args.dbname, role, args.workers)
            counts = [r["count"] for r in results]
            report[phase] = {"seconds": round(seconds, 1), "per_worker": counts}
            print(f"{phase:12} {seconds:7.1f} s  per worker: {counts}")
        per_phone = Counter(item["phone"] for item in fake.sent)
        report["received"] = len(fake.sent)
        report["phones"] = len(per_phone)
        report["max_per_phone"] = max(per_phone.values(), default=0)
        report["refused"] = len(fake.refused)
        print(
            f"fake provider: {len(fake.sent):,} messages to {len(per_phone):,} numbers, "
            f"at most {report['max_per_phone']} per number, {len(fake.refused)} refused"
        )
        ok = (
            len(fake.sent) == args.expiring
            and len(per_phone) == args.expiring
            and report["max_per_phone"] == 1
            and not fake.refused
            and report["queue again"]["per_worker"] == [0] * args.workers
            and report["send again"]["per_worker"] == [0] * args.workers
        )
        report["exactly_once"] = ok
        out = REPO / "var" / "bench" / f"sms-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))
        print(f"exactly once: {'yes' if ok else 'NO'}; {out}")
        return 0 if ok else 1
    finally:
        fake.stop()


if __name__ == "__main__":
    sys.exit(main())
