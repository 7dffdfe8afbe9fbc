from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTopUpTour(HttpCase):
    """The desk's Top Up button in a real browser, as an operator, on an account made here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.company
        if not company.chart_template:
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        area = env["zm.area"].create({"name": "Tour Desk Area", "company_id": company.id})
        package = env["zm.package"].create(
            {
                "name": "Tour Desk Monthly",
                "kind": "month",
                "period_mode": "cycle",
                "period_count": 1,
                "price": 30.0,
                "company_id": company.id,
            }
        )
        cls.account = env["zm.subscriber"].create(
            {
                "name": "tour-topup-account",
                "area_id": area.id,
                "package_id": package.id,
                "company_id": company.id,
            }
        )
        cls.operator = new_test_user(
            env,
            login="zm_tour_clerk",
            password="zm_tour_clerk",
            groups="zm_broadband.group_operator,zm_broadband.group_right_topup",
        )
        cls.operator.zm_area_ids = [Command.set(area.ids)]

    def test_topup_from_the_form(self):
        """Top Up in the wizard credits the account and writes a top-up order."""
        self.assertEqual(self.account.balance, 0.0)
        url = f"/odoo/action-zm_broadband.zm_subscriber_action/{self.account.id}"
        self.start_tour(url, "zm_business_topup_tour", login="zm_tour_clerk")
        self.account.invalidate_recordset()
        self.assertEqual(self.account.balance, 75.0)
        order = self.env["zm.order"].search([("subscriber_id", "=", self.account.id)])
        wechat = self.env.company._zm_journal("wechat")
        self.assertEqual(
            (order.kind, order.amount, order.journal_id, order.user_id),
            ("topup", 75.0, wechat, self.operator),
        )
