from freezegun import freeze_time
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ZmBusinessCommon, utc


@tagged("post_install", "-at_install")
class TestAudit(ZmBusinessCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = new_test_user(
            cls.env,
            login="zm_desk_finance",
            groups="zm_broadband.group_finance",
            company_id=cls.company.id,
        )
        cls.account = cls.env["zm.subscriber"].create(
            {
                "name": "audit-1",
                "area_id": cls.area.id,
                "package_id": cls.monthly.id,
                "company_id": cls.company.id,
            }
        )
        desk = cls.account.with_user(cls.operator)
        with freeze_time("2026-07-01 02:00:00"):
            cls.opened = desk.action_open(amount=200.0, journal_id=cls.cash.id)
            cls.renewed = desk.action_renew()
            cls.topup = desk.action_topup(30.0, cls.alipay.id)

    def test_charges_search(self):
        """Charges are found by item, payment method, income / expense, operator, audit."""
        Move = self.env["account.move"].with_user(self.finance)
        base = [("zm_subscriber_id", "=", self.account.id)]
        self.assertEqual(len(Move.search(base)), 4)
        renewals = Move.search(base + [("zm_kind", "=", "renew")])
        self.assertEqual(renewals, self.renewed.move_ids)
        alipay = Move.search(base + [("journal_id", "=", self.alipay.id)])
        self.assertEqual(alipay, self.topup.payment_ids.move_id)
        self.assertEqual(len(Move.search(base + [("zm_direction", "=", "income")])), 4)
        self.assertEqual(len(Move.search(base + [("zm_operator_id", "=", self.operator.id)])), 4)
        self.assertEqual(len(Move.search(base + [("zm_audit_state", "=", "to_check")])), 4)
        orders = (
            self.env["zm.order"]
            .with_user(self.finance)
            .search(
                [
                    ("user_id", "=", self.operator.id),
                    ("package_id", "=", self.monthly.id),
                    ("date", ">=", "2026-07-01"),
                    ("date", "<", "2026-07-02"),
                ]
            )
        )
        self.assertEqual(orders, self.opened | self.renewed)

    def test_check_locks(self):
        """A checked charge is locked: it cannot be reset, cancelled, deleted or rejected."""
        invoice = self.renewed.move_ids
        with self.assertRaises(AccessError):
            invoice.with_user(self.operator).action_zm_check()
        invoice.with_user(self.finance).action_zm_check()
        self.assertEqual(invoice.zm_audit_state, "checked")
        with self.assertRaises(AccessError):
            invoice.with_user(self.finance).button_draft()
        with self.assertRaises(AccessError):
            invoice.with_user(self.finance).write({"checked": False})
        with self.assertRaises(UserError):
            self.renewed.with_user(self.finance).action_reject("typo")

    def test_reject_renewal_restores_dates(self):
        """Rejecting a renewal reverses its invoice and gives back the month and money."""
        self.assertEqual(self.account.expiry_at, utc(2026, 9, 1, 2, 0))
        balance = self.account.balance
        with freeze_time("2026-07-02 02:00:00"):
            wizard = (
                self.env["zm.charge.reject.wizard"]
                .with_user(self.finance)
                .create({"order_ids": self.renewed.ids, "reason": "Customer did not ask"})
            )
            wizard.action_confirm()
        self.assertEqual(self.renewed.state, "rejected")
        self.assertEqual(self.account.expiry_at, utc(2026, 8, 1, 2, 0))
        self.account.invalidate_recordset(["balance"])
        self.assertEqual(self.account.balance, balance + 48.0)
        invoice, reversal = self.renewed.move_ids.sorted("id")
        self.assertEqual(reversal.reversed_entry_id, invoice)
        self.assertEqual((invoice.zm_audit_state, reversal.zm_audit_state), ("rejected",) * 2)
        self.assertEqual(invoice.zm_reject_reason, "Customer did not ask")
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertAlmostEqual(self._receivable_residual(self.account), -self.account.balance)
        with self.assertRaises(UserError):
            self.renewed.with_user(self.finance).action_reject("again")

    def test_reject_topup(self):
        """Rejecting a top-up takes the money back off the balance."""
        balance = self.account.balance
        self.topup.with_user(self.finance).action_reject("Alipay reversed the payment")
        self.account.invalidate_recordset(["balance"])
        self.assertEqual(self.account.balance, balance - 30.0)
        # the payment's entry is reversed, not left posted under a cancelled payment
        self.assertEqual(self.topup.payment_ids.state, "rejected")
        entry = self.topup.payment_ids.move_id
        self.assertEqual((entry.state, len(entry.reversal_move_ids)), ("posted", 1))
        self.assertBalanced(self.topup.move_ids)
        self.assertAlmostEqual(self._receivable_residual(self.account), -self.account.balance)

    def test_reject_after_recognition(self):
        """A rejected sale takes back the income already recognised from it."""
        with freeze_time("2026-08-01 03:00:00"):
            self.env["zm.revenue.recognition"]._cron_recognise()
        # Jul 1 10:00 to Aug 1 00:00 Shanghai of Jul 1 10:00 to Aug 1 10:00: 40 x 734/744
        self.assertEqual(self._account_balance(self.revenue), -39.46)
        # latest first: the renewal made after the opening goes before it
        with self.assertRaises(UserError):
            self.opened.with_user(self.finance).action_reject("Opened by mistake")
        (self.renewed | self.opened).with_user(self.finance).action_reject("Opened by mistake")
        self.assertEqual(self._account_balance(self.revenue), 0.0)
        self.assertEqual(self._account_balance(self.liability), 0.0)
        # the take-back of recognised income is in the recognition journal, not sales
        takeback = self.env["account.move"].search(
            [("ref", "like", "Recognised income of rejected")]
        )
        self.assertEqual(takeback.journal_id, self.company.zm_recognition_journal_id)
        self.assertEqual(self.account.state, "draft")
        self.assertFalse(self.account.expiry_at)
