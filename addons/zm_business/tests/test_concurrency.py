import threading
import time
import uuid

import psycopg2
from odoo import SUPERUSER_ID, api, sql_db
from odoo.api import Transaction
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

#: each thread holds its lock this long, so the other one surely waits for it
HOLD_SECONDS = 0.5


@tagged("post_install", "-at_install")
class TestConcurrentRenewals(BaseCase):
    """Two real database connections renew one account at the same moment.

    Test cursors share one connection and cannot show this, so the data is committed
    on the test database (hence the commits) and removed at the end.
    """

    def setUp(self):
        super().setUp()
        self.dbname = get_db_name()
        self.db = sql_db.db_connect(self.dbname)
        # threads must not ask Registry() for it: the test runner holds the registry lock
        self.registry = Registry(self.dbname)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            if not company.chart_template:
                self.skipTest("the main company has no chart of accounts")
            self.ids = self._setup_data(env, company)
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._cleanup)

    def _setup_data(self, env, company):
        area = env["zm.area"].create({"name": "Concurrency", "company_id": company.id})
        package = env["zm.package"].create(
            {"name": "Concurrency 30", "kind": "month", "price": 30.0, "company_id": company.id}
        )
        account = env["zm.subscriber"].create(
            {
                "name": f"zm-desk-concurrency-{uuid.uuid4().hex[:8]}",
                "area_id": area.id,
                "package_id": package.id,
                "company_id": company.id,
            }
        )
        account.action_open(amount=200.0, journal_id=company._zm_journal("cash").id)
        return {"area": area.id, "package": package.id, "account": account.id}

    def _renew(self, barrier, errors, attempts):
        """Renew as an RPC call would: retry on a serialization failure, then commit.

        ``odoo.service.model.retrying`` does the same but asks ``Registry()`` again on
        failure, which the running test suite's registry lock would block.
        """
        try:
            with self.db.cursor() as cr:
                cr.transaction = Transaction(self.registry)
                env = api.Environment(cr, SUPERUSER_ID, {})
                barrier.wait(timeout=30)
                for _try in range(5):
                    attempts.append(threading.get_ident())
                    try:
                        env["zm.subscriber"].browse(self.ids["account"]).action_renew()
                        env.flush_all()
                        time.sleep(HOLD_SECONDS)
                        cr.commit()  # pylint: disable=invalid-commit
                        return
                    except psycopg2.errors.SerializationFailure:
                        cr.rollback()
                        env.transaction.clear()
                raise AssertionError("renewal never got through")
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def test_two_renewals_at_once(self):
        """Two simultaneous renewals both apply: two months, two invoices, none lost."""
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            account = env["zm.subscriber"].browse(self.ids["account"])
            expiry, balance = account.expiry_at, account.balance
            expected = account._zm_service_end(account.package_id, 2, expiry)
        barrier, errors, attempts = threading.Barrier(2), [], []
        threads = [
            threading.Thread(target=self._renew, args=(barrier, errors, attempts)) for _ in range(2)
        ]
        # the loser's serialization failure is expected; sql_db would log it as an error
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertEqual(errors, [])
        # the second one waited on the lock, failed to serialize and was retried
        self.assertGreaterEqual(len(attempts), 3)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            account = env["zm.subscriber"].browse(self.ids["account"])
            renewals = account.order_ids.filtered(lambda o: o.kind == "renew")
            self.assertEqual(len(renewals), 2)
            self.assertEqual(len(renewals.move_ids), 2)
            self.assertEqual(account.expiry_at, expected)
            self.assertEqual(account.balance, balance - 60.0)

    def _cleanup(self):
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            account = env["zm.subscriber"].browse(self.ids["account"])
            orders = account.order_ids
            payments = orders.payment_ids
            moves = orders.move_ids - payments.move_id
            moves.line_ids.remove_move_reconcile()
            payments.action_draft()
            payments.unlink()
            moves.button_draft()
            moves.unlink()
            cr.execute("DELETE FROM zm_order WHERE id IN %s", [tuple(orders.ids) or (0,)])
            partner = account.partner_id
            env.invalidate_all()
            account.unlink()
            partner.unlink()
            package = env["zm.package"].browse(self.ids["package"])
            template = package.product_id.product_tmpl_id
            package.unlink()
            template.exists().unlink()
            env["zm.area"].browse(self.ids["area"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit
