import threading
import time
import uuid
from datetime import timedelta

import psycopg2
from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.api import Transaction
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

#: each caller holds its transaction this long after its work, so the other one surely
#: runs into it
HOLD_SECONDS = 0.4
RETRIES = 5


@tagged("post_install", "-at_install")
class TestConcurrentDesk(BaseCase):
    """Two real database connections run money actions on one account at the same moment.

    Test cursors share one connection and cannot show this, so the data is committed on
    the test database and removed at the end. Each caller behaves like an RPC call:
    it retries a serialization failure on a fresh transaction, then commits.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        cls.db = sql_db.db_connect(cls.dbname)
        # threads must not ask Registry() for it: the test runner holds the registry lock
        cls.registry = Registry(cls.dbname)
        cls.accounts, cls.entries = [], []
        with cls.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # a company of its own: committed data never meets the demo's or other tests'
            company = env["res.company"].search([("name", "=", "ZM Concurrency Tests")])
            if not company:
                company = env["res.company"].create({"name": "ZM Concurrency Tests"})
                env["account.chart.template"].try_loading(
                    "generic_coa", company, install_demo=False
                )
            cls.company_id = company.id
            cls.cash_id = company._zm_journal("cash").id
            cls.area_id = (
                env["zm.area"].create({"name": "Concurrency", "company_id": company.id}).id
            )
            Package = env["zm.package"]
            cls.package_id = Package.create(
                {"name": "Concurrency 30", "kind": "month", "price": 30.0, "company_id": company.id}
            ).id
            cls.addon_id = Package.create(
                {
                    "name": "Concurrency add-on 30",
                    "kind": "day",
                    "price": 30.0,
                    "company_id": company.id,
                }
            ).id
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._purge)

    # ------------------------------------------------------------------
    # Harness
    # ------------------------------------------------------------------

    def _account(self, amount=0.0, credit=0.0, **vals):
        """A committed, opened account with ``amount`` on its balance."""
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            account = env["zm.subscriber"].create(
                {
                    "name": f"zm-conc-{uuid.uuid4().hex[:10]}",
                    "area_id": self.area_id,
                    "package_id": self.package_id,
                    "company_id": self.company_id,
                    **vals,
                }
            )
            account.action_open(amount=amount or 30.0, journal_id=self.cash_id)
            if credit:
                account.action_set_credit(credit)
            cr.commit()  # pylint: disable=invalid-commit
            self.accounts.append(account.id)
            return account.id

    def _call(self, barrier, results, index, work):
        """Run ``work(env)`` like an RPC call: retry a serialization failure, then commit."""
        try:
            with self.db.cursor() as cr:
                cr.transaction = Transaction(self.registry)
                env = api.Environment(cr, SUPERUSER_ID, {})
                barrier.wait(timeout=30)
                for _try in range(RETRIES):
                    try:
                        value = work(env)
                        env.flush_all()
                        time.sleep(HOLD_SECONDS)
                        cr.commit()  # pylint: disable=invalid-commit
                        results[index] = ("ok", value)
                        return
                    except psycopg2.errors.SerializationFailure:
                        cr.rollback()
                        env.transaction.clear()
                results[index] = ("error", RuntimeError("never got through"))
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            results[index] = ("error", exc)

    def _at_once(self, *works):
        barrier, results = threading.Barrier(len(works)), [None] * len(works)
        threads = [
            threading.Thread(target=self._call, args=(barrier, results, i, work))
            for i, work in enumerate(works)
        ]
        # the loser's serialization failure is expected; sql_db would log it as an error
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        return results

    def _check(self, account_id):
        """Read the account back and check its ledger is consistent; return (env, account)."""
        cr = self.db.cursor()
        self.addCleanup(cr.close)
        env = api.Environment(cr, SUPERUSER_ID, {})
        account = env["zm.subscriber"].browse(account_id)
        lines = env["account.move.line"].search(
            [
                ("partner_id", "=", account.partner_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        self.assertAlmostEqual(account.balance, -sum(lines.mapped("amount_residual")), places=2)
        return env, account

    def _outcomes(self, results):
        return sorted(kind for kind, __ in results)

    @staticmethod
    def _desk(account_id, method, *args, **kwargs):
        def work(env):
            account = env["zm.subscriber"].browse(account_id)
            return getattr(account, method)(*args, **kwargs).id

        return work

    # ------------------------------------------------------------------
    # Money actions, two at once
    # ------------------------------------------------------------------

    def test_two_renewals_both_apply(self):
        """Two simultaneous renewals both apply: two months, two invoices, none lost."""
        account_id = self._account(amount=100.0)
        results = self._at_once(*[self._desk(account_id, "action_renew")] * 2)
        self.assertEqual(self._outcomes(results), ["ok", "ok"])
        env, account = self._check(account_id)
        renewals = account.order_ids.filtered(lambda o: o.kind == "renew")
        self.assertEqual(len(renewals), 2)
        self.assertAlmostEqual(account.balance, 10.0)  # 100 - 3 x 30

    def test_two_addons_respect_the_credit_limit(self):
        """Two add-ons with a credit limit of 30 and nothing on the balance: one goes
        through, the other is refused after seeing the first - never -60."""
        account_id = self._account(amount=30.0, credit=30.0)
        results = self._at_once(
            *[self._desk(account_id, "action_addon_package", self.addon_id)] * 2
        )
        self.assertEqual(self._outcomes(results), ["error", "ok"])
        error = next(value for kind, value in results if kind == "error")
        self.assertIsInstance(error, UserError)
        env, account = self._check(account_id)
        self.assertAlmostEqual(account.balance, -30.0)

    def test_same_reference_at_once_credits_once(self):
        """Six notifications of one payment at once: credited once, every caller gets the
        same order, nobody a raw database error."""
        account_id = self._account(amount=30.0)
        ref = f"ALI-{uuid.uuid4().hex}"
        results = self._at_once(
            *[self._desk(account_id, "action_topup", 50.0, self.cash_id, ref)] * 6
        )
        self.assertEqual(self._outcomes(results), ["ok"] * 6)
        self.assertEqual(len({value for __, value in results}), 1)
        env, account = self._check(account_id)
        self.assertAlmostEqual(account.balance, 50.0)

    def test_same_reference_two_accounts(self):
        """One payment reference for two accounts at once: one is credited, the other gets
        a clear refusal."""
        first, second = self._account(amount=30.0), self._account(amount=30.0)
        ref = f"WX-{uuid.uuid4().hex}"
        results = self._at_once(
            self._desk(first, "action_topup", 20.0, self.cash_id, ref),
            self._desk(second, "action_topup", 20.0, self.cash_id, ref),
        )
        self.assertEqual(self._outcomes(results), ["error", "ok"])
        error = next(value for kind, value in results if kind == "error")
        self.assertIsInstance(error, UserError)
        self.assertIn(ref, str(error))
        balances = [self._check(account_id)[1].balance for account_id in (first, second)]
        self.assertEqual(sorted(balances), [0.0, 20.0])

    def test_two_cancels_refund_once(self):
        """Two cancels at once: one cancels and refunds, the other finds it cancelled."""
        account_id = self._account(amount=100.0)
        results = self._at_once(*[self._desk(account_id, "action_cancel")] * 2)
        self.assertEqual(self._outcomes(results), ["error", "ok"])
        env, account = self._check(account_id)
        self.assertEqual(account.state, "cancelled")
        self.assertEqual(len(account.order_ids.filtered(lambda o: o.kind == "cancel")), 1)

    def test_two_full_refunds_pay_out_once(self):
        """Two refunds of the whole balance at once: the money goes out once."""
        account_id = self._account(amount=100.0)  # 70 left after the month
        results = self._at_once(*[self._desk(account_id, "action_refund", 70.0, self.cash_id)] * 2)
        self.assertEqual(self._outcomes(results), ["error", "ok"])
        env, account = self._check(account_id)
        self.assertAlmostEqual(account.balance, 0.0)

    def test_renew_and_cancel_at_once(self):
        """A renewal racing a cancel: whichever order wins, the ledger and dates agree."""
        account_id = self._account(amount=100.0)
        results = self._at_once(
            self._desk(account_id, "action_renew"), self._desk(account_id, "action_cancel")
        )
        self.assertIn("ok", self._outcomes(results))
        env, account = self._check(account_id)
        self.assertEqual(account.state, "cancelled")
        # whatever was sold and not used came back: nothing is left to earn
        self.assertFalse(account._zm_service_lines())

    def test_two_buys_and_two_opens(self):
        """Buying a package twice, or opening twice, at once: exactly one goes through."""
        account_id = self._account(amount=100.0)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["zm.subscriber"].browse(account_id).write({"expiry_at": "2000-01-01"})
            cr.commit()  # pylint: disable=invalid-commit
        results = self._at_once(
            *[self._desk(account_id, "action_buy_package", self.package_id)] * 2
        )
        self.assertEqual(self._outcomes(results), ["error", "ok"])
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            fresh = env["zm.subscriber"].create(
                {
                    "name": f"zm-conc-{uuid.uuid4().hex[:10]}",
                    "area_id": self.area_id,
                    "package_id": self.package_id,
                    "company_id": self.company_id,
                }
            )
            cr.commit()  # pylint: disable=invalid-commit
            self.accounts.append(fresh.id)
        results = self._at_once(*[self._desk(fresh.id, "action_open", 1, 30.0, self.cash_id)] * 2)
        self.assertEqual(self._outcomes(results), ["error", "ok"])
        env, account = self._check(fresh.id)
        self.assertEqual(len(account.order_ids), 1)

    # ------------------------------------------------------------------
    # Crons against people, and against themselves
    # ------------------------------------------------------------------

    def test_auto_renew_beside_an_operator(self):
        """The auto-renew cron and an operator renewing the same account at once: both
        consistent, the cron run does not abort, nothing is renewed by accident twice."""
        due = self._account(amount=100.0, auto_renew=True)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["zm.subscriber"].browse(due).write(
                {"expiry_at": fields.Datetime.now() + timedelta(hours=2)}
            )
            cr.commit()  # pylint: disable=invalid-commit

        def cron(env):
            return env["zm.subscriber"]._cron_auto_renew().filtered(lambda a: a.id == due).ids

        results = self._at_once(cron, self._desk(due, "action_renew"))
        self.assertEqual(self._outcomes(results), ["ok", "ok"])
        env, account = self._check(due)
        renewals = account.order_ids.filtered(lambda o: o.kind == "renew")
        # the operator's renewal moved the expiry past the cron's horizon, or the cron
        # renewed first and the operator added a month: one or two, never a lost one
        self.assertIn(len(renewals), (1, 2))
        self.assertAlmostEqual(account.balance, 100.0 - 30.0 * (1 + len(renewals)))

    def test_recognition_twice_at_once(self):
        """Two recognition runs at once move each line's income once."""
        account_id = self._account(amount=30.0)

        def recognise(env):
            company = env["res.company"].browse(self.company_id)
            cut = fields.Datetime.now() + timedelta(days=40)
            ids = env["zm.revenue.recognition"]._recognise(company, cut).ids
            self.entries.extend(ids)
            return ids

        results = self._at_once(recognise, recognise)
        self.assertIn("ok", self._outcomes(results))
        env, account = self._check(account_id)
        lines = account._zm_service_lines()
        self.assertEqual(lines.mapped("zm_recognised"), lines.mapped("zm_service_value"))
        # every line of the company taken once: the entries of both runs add up to what
        # the lines record as recognised, and no line is over-recognised
        sold = env["account.move.line"].search(
            [("company_id", "=", self.company_id), ("zm_service_value", "!=", 0)]
        )
        for line in sold:
            self.assertLessEqual(line.zm_recognised, line.zm_service_value + 0.001)
        entries = env["account.move"].browse(self.entries).exists()
        liability = env["res.company"].browse(self.company_id).zm_contract_liability_account_id
        moved = sum(
            entries.line_ids.filtered(lambda ln: ln.account_id == liability).mapped("debit")
        )
        self.assertAlmostEqual(moved, sum(sold.mapped("zm_recognised")), places=2)

    # ------------------------------------------------------------------

    @classmethod
    def _purge(cls):
        with cls.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            accounts = env["zm.subscriber"].browse(cls.accounts).exists()
            orders = accounts.order_ids
            payments = orders.payment_ids
            moves = (
                env["account.move"].search([("zm_subscriber_id", "in", accounts.ids)])
                | orders.move_ids
            ) - payments.move_id
            recognition = env["account.move"].browse(cls.entries).exists()
            (moves | payments.move_id | recognition).line_ids.remove_move_reconcile()
            payments.action_draft()
            payments.unlink()
            (moves | recognition).button_draft()
            (moves | recognition).unlink()
            cr.execute("DELETE FROM zm_order WHERE id IN %s", [tuple(orders.ids) or (0,)])
            cr.execute(
                "DELETE FROM zm_order_reference WHERE reference LIKE 'ALI-%%' OR reference LIKE 'WX-%%'"
            )
            partners = accounts.partner_id
            env.invalidate_all()
            accounts.unlink()
            partners.unlink()
            packages = env["zm.package"].browse([cls.package_id, cls.addon_id])
            templates = packages.product_id.product_tmpl_id
            packages.unlink()
            templates.exists().unlink()
            env["zm.area"].browse(cls.area_id).unlink()
            cr.commit()  # pylint: disable=invalid-commit
