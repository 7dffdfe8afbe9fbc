from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestFirstHour(HttpCase):
    """The first hour of a new ISP in a real browser: the manager sets up the catalogue and
    a clerk; the clerk opens an account, takes cash and renews it (issue: no wall)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        if not env.company.chart_template:
            env["account.chart.template"].try_loading(
                "generic_coa", env.company, install_demo=False
            )
        # the ISP's manager runs broadband and may create its staff's users
        cls.manager = new_test_user(
            env,
            login="zm_fh_manager",
            password="zm_fh_manager",
            groups="zm_broadband.group_manager,base.group_erp_manager",
        )

    def test_first_hour(self):
        """Every step goes through the screens; the server then holds what they showed."""
        self.start_tour("/odoo", "zm_first_hour_manager", login="zm_fh_manager")
        clerk = self.env["res.users"].search([("login", "=", "fh.clerk")])
        self.assertTrue(clerk.has_group("zm_broadband.group_operator"))
        self.assertTrue(clerk.has_group("zm_broadband.group_right_renew"))
        self.assertFalse(clerk.has_group("zm_broadband.group_right_cancel"))
        self.assertFalse(clerk.has_group("account.group_account_invoice"))
        self.assertEqual(clerk.zm_area_ids.name, "FH Riverside")
        # the manager hands the clerk a password (Odoo's own change-password dialog)
        clerk.password = "fh.clerk"

        self.start_tour("/odoo", "zm_first_hour_clerk", login="fh.clerk")
        account = self.env["zm.subscriber"].search([("name", "=", "fh-0001")])
        self.assertEqual(account.create_uid, clerk)
        self.assertEqual((account.state, account.expiry_state), ("active", "normal"))
        orders = account.order_ids.sorted("id")
        self.assertEqual(orders.mapped("kind"), ["open", "renew"])
        self.assertEqual(set(orders.mapped("user_id")), {clerk})
        cash = self.env.company._zm_journal("cash")
        self.assertEqual(orders[0].payment_ids.journal_id, cash)
        self.assertEqual(account.balance, 0.0)

    def test_settings_pages(self):
        """General settings, with the Broadband blocks, open and save in the browser."""
        self.start_tour("/odoo/settings", "zm_settings_pages", login="admin")
