from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestTopUpTour(HttpCase):
    """The desk's Top Up button in a real browser, on an account made here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.company
        if not company.chart_template:
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        company._zm_check_business_accounts()
        cls.till = env["account.journal"].create(
            {"name": "Tour Till", "code": "TTIL", "type": "cash", "company_id": company.id}
        )
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

    def test_topup_from_the_form(self):
        """Top Up in the wizard credits the account and writes a top-up order."""
        self.assertEqual(self.account.balance, 0.0)
        url = f"/odoo/action-zm_broadband.zm_subscriber_action/{self.account.id}"
        self.start_tour(url, "zm_business_topup_tour", login="admin")
        self.account.invalidate_recordset()
        self.assertEqual(self.account.balance, 75.0)
        order = self.env["zm.order"].search([("subscriber_id", "=", self.account.id)])
        self.assertEqual((order.kind, order.amount, order.journal_id), ("topup", 75.0, self.till))
