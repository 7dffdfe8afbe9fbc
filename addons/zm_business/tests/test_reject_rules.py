from freezegun import freeze_time
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ZmBusinessCommon


@tagged("post_install", "-at_install")
class TestRejectRules(ZmBusinessCommon):
    """Rejection (D2) keeps the ledger and the account consistent whatever came after."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = new_test_user(
            cls.env,
            login="zm_rules_finance",
            groups="zm_broadband.group_finance",
            company_id=cls.company.id,
        )

    def _reject(self, orders, reason="wrong"):
        return orders.with_user(self.finance).action_reject(reason)

    def test_renewal_under_a_cancel_is_not_refunded_twice(self):
        """Pay, renew, cancel, then reject the renewal: refused while the cancel stands on
        it; rejecting the cancel first, then the renewal, gives back exactly what was paid."""
        account = self._subscriber("rules-1", package_id=self.monthly.id)
        desk = account.with_user(self.operator)
        with freeze_time("2026-05-01 02:00:00"):
            desk.action_open(amount=200.0, journal_id=self.cash.id)
        with freeze_time("2026-05-05 02:00:00"):
            renewal = desk.action_renew()
            cancel = desk.action_cancel()
            with self.assertRaises(UserError) as caught:
                self._reject(renewal)
            self.assertIn(cancel.name, str(caught.exception))
            self.assertEqual(renewal.state, "done")
            balance_after_cancel = account.balance
            self._reject(cancel)
            self.assertEqual(account.state, "active")
            self._reject(renewal)
        account.invalidate_recordset()
        # the open's month is still sold and running; only it is charged: 200 - 48
        self.assertAlmostEqual(account.balance, 152.0)
        self.assertLess(account.balance, balance_after_cancel)
        self.assertAlmostEqual(self._receivable_residual(account), -account.balance)
        self.assertEqual(account.expiry_at, renewal.expiry_before)

    def test_topups_never_block(self):
        """A top-up after a renewal does not stop the renewal's rejection (money only)."""
        account = self._subscriber("rules-2", package_id=self.monthly.id)
        desk = account.with_user(self.operator)
        with freeze_time("2026-05-01 02:00:00"):
            desk.action_open(amount=48.0, journal_id=self.cash.id)
            self.operator.groups_id += self.env.ref("zm_broadband.group_right_credit")
            account.action_set_credit(100.0)
            renewal = desk.action_renew()
            desk.action_topup(48.0, self.alipay.id)
            self._reject(renewal)
        self.assertAlmostEqual(account.balance, 48.0)
        self.assertFalse(account.in_arrears)

    def test_credit_rejection_restores_the_previous_limit(self):
        """Rejecting a credit order restores the limit before it, not zero."""
        account = self._subscriber("rules-3")
        first = account.action_set_credit(50.0)
        second = account.action_set_credit(80.0)
        with self.assertRaises(UserError):
            self._reject(first)  # the later credit order stands on it
        self._reject(second)
        self.assertEqual(account.credit_limit, 50.0)
        self._reject(first)
        self.assertEqual(account.credit_limit, 0.0)

    def test_orders_without_charges_are_undone_by_actions(self):
        """Pause, resume and move post no charge: finance does not reject them."""
        account = self._subscriber("rules-4", package_id=self.monthly.id)
        desk = account.with_user(self.operator)
        with freeze_time("2026-05-01 02:00:00"):
            desk.action_open(amount=48.0, journal_id=self.cash.id)
            pause = desk.action_pause()
        with self.assertRaises(UserError):
            self._reject(pause)

    def test_desk_charges_change_only_by_reversal(self):
        """Finance cannot reset an unchecked desk charge to draft, cancel or delete it, nor
        undo a desk payment; the reject action is the way."""
        account = self._subscriber("rules-5", package_id=self.monthly.id)
        with freeze_time("2026-05-01 02:00:00"):
            order = account.with_user(self.operator).action_open(
                amount=48.0, journal_id=self.cash.id
            )
        invoice = order.move_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertFalse(invoice.checked)
        for call in (
            lambda: invoice.with_user(self.finance).button_draft(),
            lambda: invoice.with_user(self.finance).button_cancel(),
            lambda: order.payment_ids.with_user(self.finance).action_draft(),
            lambda: order.payment_ids.with_user(self.finance).action_cancel(),
            lambda: invoice.with_user(self.finance).write({"zm_subscriber_id": False}),
            lambda: invoice.invoice_line_ids.with_user(self.finance).write(
                {"zm_service_value": 0.0}
            ),
        ):
            with self.assertRaises(AccessError):
                call()
        self.assertEqual((invoice.state, order.payment_ids.state), ("posted", "paid"))
