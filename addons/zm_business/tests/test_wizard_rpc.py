from freezegun import freeze_time
from odoo.api import call_kw
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import ZmBusinessCommon


@tagged("post_install", "-at_install")
class TestWizardAndRpc(ZmBusinessCommon):
    def test_wizard_calls_the_action(self):
        """The operator's wizard runs the transaction and opens the order it wrote."""
        account = self._subscriber("wizard-1", package_id=self.monthly.id)
        context = {"default_kind": "open", "default_subscriber_id": account.id}
        Wizard = self.env["zm.business.wizard"].with_user(self.operator).with_context(**context)
        with freeze_time("2026-02-01 00:00:00"):
            form = Form(Wizard)
            form.amount = 50.0
            form.payment_method = "alipay"
            action = form.save().action_confirm()
        order = self.env["zm.order"].browse(action["res_id"])
        self.assertEqual((action["res_model"], order.kind), ("zm.order", "open"))
        self.assertEqual(order.subscriber_id, account)
        self.assertEqual(order.journal_id, self.alipay)
        self.assertEqual(account.balance, 2.0)

    def test_rpc_returns_the_order_id(self):
        """Over RPC an action takes ids and returns the id of its order."""
        account = self._subscriber("rpc-1")
        model = self.env["zm.subscriber"].with_user(self.operator)
        order_id = call_kw(model, "action_topup", [[account.id], 25.0, self.cash.id], {})
        self.assertIsInstance(order_id, int)
        order = self.env["zm.order"].browse(order_id)
        self.assertEqual((order.kind, order.amount, order.user_id), ("topup", 25.0, self.operator))
        self.assertEqual(account.balance, 25.0)

    def test_topup_reference_credits_once(self):
        """A payment notification delivered twice credits the account once."""
        account = self._subscriber("rpc-2")
        desk = account.with_user(self.operator)
        first = desk.action_topup(30.0, self.alipay.id, reference="ALI-2026-0001")
        again = desk.action_topup(30.0, self.alipay.id, reference="ALI-2026-0001")
        self.assertEqual(first, again)
        self.assertEqual(account.balance, 30.0)
        self.assertEqual(len(account.order_ids), 1)
        other = self._subscriber("rpc-3").with_user(self.operator)
        with self.assertRaises(UserError):
            other.action_topup(30.0, self.alipay.id, reference="ALI-2026-0001")
