from freezegun import freeze_time
from odoo.tests import tagged

from .common import ZmBusinessCommon


@tagged("post_install", "-at_install")
class TestPaymentMethod(ZmBusinessCommon):
    """Each broadband charge says how it was paid (D1), not which journal it sits in."""

    @freeze_time("2026-01-10 02:00:00")
    def test_payment_method_of_each_charge(self):
        """Payments name their journal; invoices the balance or credit; credit notes the balance."""
        account = self._subscriber("room-301")
        account.action_set_credit(100.0)
        desk = account.with_user(self.operator)
        desk.action_open()
        cash = desk.action_topup(50.0, self.cash.id).move_ids
        alipay = desk.action_topup(10.0, self.alipay.id).move_ids
        self.assertEqual(cash.zm_payment_method, "cash")
        self.assertEqual(alipay.zm_payment_method, "alipay")
        bought = desk.action_buy_package(self.monthly.id).move_ids  # 48 of the 60
        self.assertEqual(bought.zm_payment_method, "balance")
        self.assertEqual(bought.journal_id.type, "sale")
        self.operator.groups_id += self.env.ref("zm_broadband.group_right_credit")
        renewed = desk.action_renew().move_ids  # 48 more than the 12 left
        self.assertEqual(renewed.zm_payment_method, "credit")
        credit_note = desk.action_cancel().move_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.zm_payment_method, "balance")
        # the charge list filters and groups by it
        Move = self.env["account.move"]
        domain = [("zm_subscriber_id", "=", account.id)]
        self.assertEqual(
            Move.search([*domain, ("zm_payment_method", "=", "balance")]), bought | credit_note
        )
        groups = dict(Move._read_group(domain, ["zm_payment_method"], ["__count"]))
        self.assertEqual(groups, {"cash": 1, "alipay": 1, "balance": 2, "credit": 1})
