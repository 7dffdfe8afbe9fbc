from freezegun import freeze_time
from odoo.tests import Form, new_test_user, tagged

from .common import ZmBusinessCommon


@tagged("post_install", "-at_install")
class TestDeskForms(ZmBusinessCommon):
    """The desk's dialogs, the order and charge forms and the settings open and save, as
    the operator, finance or administrator who uses them."""

    def test_every_desk_dialog_as_operator(self):
        """Each kind of the desk dialog runs from its form as an operator."""
        self.operator.groups_id += self.env.ref("zm_broadband.group_right_credit")
        account = self._subscriber("forms-1", package_id=self.monthly.id)
        env = self.env(user=self.operator)

        def dialog(kind, **values):
            context = {"default_kind": kind, "default_subscriber_id": account.id}
            with Form(env["zm.business.wizard"].with_context(**context)) as form:
                for name, value in values.items():
                    setattr(form, name, value)
            return form.record.action_confirm()

        with freeze_time("2026-06-01 02:00:00"):
            dialog("open", amount=100.0, payment_method="cash")
            dialog("topup", amount=150.0, payment_method="wechat")
            dialog("renew", periods=2)
            dialog("credit", credit_limit=20.0)
            dialog("addon_package", package_id=self.small)
            dialog("change_package", package_id=self.small)
            dialog("move", area_id=self.area_south)
            dialog("refund", amount=10.0, payment_method="cash")
            action = dialog("cancel", refund_mode="payout", payment_method="alipay")
        order = self.env["zm.order"].browse(action["res_id"])
        self.assertEqual((order.kind, account.state), ("cancel", "cancelled"))
        kinds = account.order_ids.mapped("kind")
        self.assertEqual(len(kinds), 9)

    def test_order_and_charge_forms_as_operator(self):
        """An operator opens an order and its charges (read-only) in their own forms."""
        account = self._subscriber("forms-2", package_id=self.monthly.id)
        with freeze_time("2026-06-01 02:00:00"):
            order = account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
        env = self.env(user=self.operator)
        Form(env["zm.order"].browse(order.id))
        charge_form = self.env.ref("zm_business.zm_charge_view_form")
        for move in order.move_ids:
            form = Form(env["account.move"].browse(move.id), view=charge_form)
            self.assertTrue(form.name)

    def test_reject_dialog_as_finance(self):
        """Finance rejects an order through the dialog."""
        finance = new_test_user(self.env, login="zm_forms_fin", groups="zm_broadband.group_finance")
        account = self._subscriber("forms-3")
        order = account.with_user(self.operator).action_topup(10.0, "cash")
        context = {"default_order_ids": order.ids}
        with Form(
            self.env["zm.charge.reject.wizard"].with_user(finance).with_context(**context)
        ) as form:
            form.reason = "Counted twice"
        form.record.action_confirm()
        self.assertEqual(order.state, "rejected")

    def test_business_settings_as_admin(self):
        """The Business desk block of the settings saves its company values."""
        admin = new_test_user(
            self.env,
            login="zm_forms_admin2",
            groups="base.group_system,account.group_account_manager,zm_broadband.group_manager",
            company_id=self.company.id,
        )
        with Form(self.env["res.config.settings"].with_user(admin)) as settings:
            settings.zm_auto_renew_hours = 48
        settings.record.execute()
        self.assertEqual(self.company.zm_auto_renew_hours, 48)
