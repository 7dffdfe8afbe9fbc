from freezegun import freeze_time
from odoo.tests import tagged

from .common import ZmBusinessCommon


@tagged("post_install", "-at_install")
class TestSeparateBalances(ZmBusinessCommon):
    def test_two_accounts_of_one_customer(self):
        """Two accounts of the same customer keep their own balance and receivable."""
        room_a = self._subscriber("hotel-201", package_id=self.monthly.id)
        room_b = self._subscriber("hotel-202", package_id=self.monthly.id)
        self.assertEqual(room_a.customer_id, room_b.customer_id)
        self.assertNotEqual(room_a.partner_id, room_b.partner_id)
        self.assertEqual(room_a.partner_id.commercial_partner_id, room_a.partner_id)
        with freeze_time("2026-05-01 04:00:00"):
            room_a.with_user(self.operator).action_open(amount=200.0, journal_id=self.alipay.id)
            room_b.with_user(self.operator).action_topup(50.0, self.cash.id)
        room_a.invalidate_recordset(["balance"])
        room_b.invalidate_recordset(["balance"])
        self.assertEqual(room_a.balance, 152.0)
        self.assertEqual(room_b.balance, 50.0)
        self.assertAlmostEqual(self._receivable_residual(room_a), -152.0)
        self.assertAlmostEqual(self._receivable_residual(room_b), -50.0)
        # the open invoice of room A was paid by room A's money only
        invoice = room_a.order_ids.move_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.partner_id, room_a.partner_id)
