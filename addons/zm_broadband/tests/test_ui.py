from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSubscriberTour(HttpCase):
    """The Subscribers screens in a real browser, on records made here, not demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        if not env.company.chart_template:
            env["account.chart.template"].try_loading(
                "generic_coa", env.company, install_demo=False
            )
        cls.area = env["zm.area"].create({"name": "Tour Area Zeta", "code": "TOUR-Z"})
        rate = env["zm.rate.template"].create(
            {"name": "Tour 50M/10M", "up_kbps": 10_000, "down_kbps": 50_000}
        )
        cls.package = env["zm.package"].create(
            {
                "name": "Tour Package Zeta",
                "code": "TOUR-PZ",
                "kind": "month",
                "price": 50.0,
                "rate_template_id": rate.id,
            }
        )
        # as a migration would bring it (superuser): active, its period over
        cls.expired = env["zm.subscriber"].create(
            {
                "name": "tour-expired-account",
                "area_id": cls.area.id,
                "package_id": cls.package.id,
                "state": "active",
                "expiry_at": fields.Datetime.now() - timedelta(days=2),
            }
        )
        cls.operator = new_test_user(
            env,
            login="zm_tour_operator",
            password="zm_tour_operator",
            groups="zm_broadband.group_operator",
        )
        cls.operator.zm_area_ids = [Command.set(cls.area.ids)]

    def test_create_and_filter_subscribers(self):
        """An operator creates an account in the form and finds an expired one by its badge."""
        self.assertEqual(self.expired.expiry_state, "expired")
        self.start_tour("/odoo", "zm_broadband_subscriber_tour", login="zm_tour_operator")
        created = self.env["zm.subscriber"].search([("name", "=", "tour-new-account")])
        self.assertEqual(len(created), 1)
        self.assertEqual((created.area_id, created.package_id), (self.area, self.package))
        self.assertEqual((created.state, created.create_uid), ("draft", self.operator))
