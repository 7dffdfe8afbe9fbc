import threading
import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.api import Transaction
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from .common import TENCENT_ID, TENCENT_KEY
from .fake_providers import FakeSmsProviders

ACCOUNTS = 60


@tagged("post_install", "-at_install")
class TestConcurrentReminders(BaseCase):
    """Two reminder jobs and two senders at once, on real connections with committed
    data (test cursors share one connection and cannot show this): every account gets
    its reminder exactly once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeSmsProviders(tencent_keys={TENCENT_ID: TENCENT_KEY}).start()
        cls.addClassCleanup(cls.fake.stop)
        cls.dbname = get_db_name()
        cls.db = sql_db.db_connect(cls.dbname)
        cls.registry = Registry(cls.dbname)
        tag = uuid.uuid4().hex[:8]
        with cls.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].create(
                {"name": f"ZM SMS Concurrency {tag}", "zm_sms_quiet_start": 0.0,
                 "zm_sms_quiet_end": 0.0}
            )  # fmt: skip
            cls.company_id = company.id
            area = env["zm.area"].create({"name": "SMS conc", "company_id": company.id})
            env["zm.sms.provider"].create(
                {
                    "name": "conc",
                    "kind": "tencent",
                    "key_id": TENCENT_ID,
                    "secret_key": TENCENT_KEY,
                    "app_id": "1400000009",
                    "sign_name": "ZM",
                    "endpoint": cls.fake.url,
                    "company_id": company.id,
                    "template_ids": [
                        (
                            0,
                            0,
                            {
                                "name": "exp",
                                "purpose": "expiring",
                                "template_code": "E1",
                                "params": "account,expiry",
                            },
                        ),
                    ],  # fmt: skip
                }
            )
            accounts = env["zm.subscriber"].create(
                [
                    {
                        "name": f"zm-sms-conc-{tag}-{i}",
                        "area_id": area.id,
                        "company_id": company.id,
                        "phone": f"1391{i:07d}",
                    }
                    for i in range(ACCOUNTS)
                ]
            )
            env.flush_all()
            cr.execute(
                "UPDATE zm_subscriber SET state = 'active', expiry_at = %s WHERE id = ANY(%s)",
                (fields.Datetime.now() + timedelta(days=1), accounts.ids),
            )
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._purge)

    @classmethod
    def _purge(cls):
        with cls.db.cursor() as cr:
            cr.execute("DELETE FROM sms_sms WHERE zm_message_id IN "
                       "(SELECT id FROM zm_sms_message WHERE company_id = %s)", (cls.company_id,))  # fmt: skip
            cr.execute("DELETE FROM zm_sms_message WHERE company_id = %s", (cls.company_id,))
            cr.execute("DELETE FROM zm_subscriber WHERE company_id = %s", (cls.company_id,))
            cr.commit()  # pylint: disable=invalid-commit

    def _run(self, barrier, errors, method):
        try:
            with self.db.cursor() as cr:
                cr.transaction = Transaction(self.registry)
                env = api.Environment(cr, SUPERUSER_ID, {})
                barrier.wait(timeout=30)
                method(env)
                cr.commit()  # pylint: disable=invalid-commit
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def _at_once(self, method, count=2):
        barrier, errors = threading.Barrier(count), []
        threads = [
            threading.Thread(target=self._run, args=(barrier, errors, method)) for _ in range(count)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])

    def test_two_jobs_two_senders_each_reminder_once(self):
        self._at_once(lambda env: env["zm.subscriber"]._cron_sms_reminders(commit=True))
        self._at_once(lambda env: env["zm.sms.message"]._cron_send(commit=True))
        # and once more, both, together
        self._at_once(lambda env: (env["zm.subscriber"]._cron_sms_reminders(commit=True),
                                   env["zm.sms.message"]._cron_send(commit=True)))  # fmt: skip
        with self.db.cursor() as cr:
            cr.execute(
                "SELECT state, count(*) FROM zm_sms_message WHERE company_id = %s GROUP BY state",
                (self.company_id,),
            )
            self.assertEqual(dict(cr.fetchall()), {"sent": ACCOUNTS})
        phones = [item["phone"] for item in self.fake.sent]
        self.assertEqual(len(phones), ACCOUNTS)
        self.assertEqual(len(set(phones)), ACCOUNTS)
        self.assertEqual(self.fake.refused, [])
