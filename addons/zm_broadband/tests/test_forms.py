from odoo import Command
from odoo.tests import Form, new_test_user

from .common import ZmBroadbandCase


class TestForms(ZmBroadbandCase):
    """Every form and settings page this add-on adds or extends opens and saves, as the
    user who uses it (a crash here is an "Oops!" in front of an ISP)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(
            cls.env,
            login="zm_forms_admin",
            groups="base.group_system,base.group_partner_manager,zm_broadband.group_manager",
        )

    def test_catalogue_forms_as_manager(self):
        """Areas, rate templates, packages and promotions, made in their forms."""
        env = self.env(user=self.manager)
        with Form(env["zm.area"]) as form:
            form.name = "Form Area"
            form.code = "F-A"
        area = form.record
        with Form(env["zm.rate.template"]) as form:
            form.name = "Form 20M"
            form.up_kbps = 4000
            form.down_kbps = 20000
        rate = form.record
        with Form(env["zm.package"]) as form:
            form.name = "Form package"
            form.kind = "month"
            form.price = 30
            form.rate_template_id = rate
        package = form.record
        with Form(env["zm.promotion"]) as form:
            form.name = "Form promotion"
            form.bonus_type = "days"
            form.bonus_value = 3
        self.assertTrue(area and package and form.record)

    def test_subscriber_form_as_operator(self):
        """An operator makes an account and edits it again."""
        env = self.env(user=self.operator)
        with Form(env["zm.subscriber"]) as form:
            form.name = "form-account"
            form.area_id = self.area_east_1
            form.package_id = self.package
            form.phone = "13800000000"
        with Form(form.record) as again:
            again.note = "second visit"
        self.assertEqual(form.record.note, "second visit")

    def test_settings_company_and_users_as_admin(self):
        """General settings (with the Broadband section), the company form and the user
        form with its areas open and save."""
        env = self.env(user=self.admin)
        with Form(env["res.config.settings"]) as settings:
            settings.zm_expiring_days = 5
            settings.zm_tz = "Asia/Urumqi"
        settings.record.execute()
        self.assertEqual(self.env.company.zm_tz, "Asia/Urumqi")
        self.assertEqual(self.env.company.zm_expiring_days, 5)
        with Form(env["res.company"].browse(self.env.company.id)) as company:
            company.phone = "010-12345678"
        user_form = "base.view_users_form"
        with Form(env["res.users"].browse(self.operator.id), view=user_form) as user:
            user.zm_area_ids.add(self.area_west)
        self.assertIn(self.area_west, self.operator.zm_area_ids)
        with Form(env["res.partner"]) as partner:
            partner.name = "Form customer"
        self.assertFalse(partner.record.zm_area_id)

    def test_settings_views_load_for_every_role(self):
        """The settings and company views render their fields for the roles that open them."""
        self.env["res.config.settings"].with_user(self.admin).get_views([(False, "form")])
        self.env["res.company"].with_user(self.admin).get_views([(False, "form")])
        fields = self.env["res.company"].fields_get(["zm_tz"])
        self.assertIn(
            ("Asia/Shanghai", "Asia/Shanghai"), [tuple(x) for x in fields["zm_tz"]["selection"]]
        )

    def test_area_operator_assignment(self):
        """A manager gives an operator areas from the user form."""
        users = self.env["res.users"].with_user(self.admin)
        with Form(users.browse(self.operator.id), view="base.view_users_form") as user:
            user.zm_area_ids.clear()
            user.zm_area_ids.add(self.area_west)
        self.assertEqual(self.operator.zm_area_ids, self.area_west)
        self.operator.zm_area_ids = [Command.set(self.area_east_1.ids)]

    def test_roles_and_rights_without_developer_mode(self):
        """The user form shows the broadband role as a plain choice and the business rights
        as tick boxes, outside developer mode; ticking them gives the groups."""
        env = self.env(user=self.admin)
        operator, manager = (
            self.env.ref(f"zm_broadband.group_{g}") for g in ("operator", "manager")
        )
        arch = env["res.users"].get_view(self.env.ref("base.view_users_form").id, "form")["arch"]
        self.assertIn(f'name="sel_groups_{operator.id}_{manager.id}"', arch)
        self.assertIn('name="zm_right_ids"', arch)
        renew = self.env.ref("zm_broadband.group_right_renew")
        with Form(env["res.users"].browse(self.operator.id), view="base.view_users_form") as user:
            user.zm_right_ids.add(renew)
        self.assertTrue(self.operator.has_group("zm_broadband.group_right_renew"))
        with Form(env["res.users"].browse(self.operator.id), view="base.view_users_form") as user:
            user.zm_right_ids.remove(renew.id)
        self.assertFalse(self.operator.has_group("zm_broadband.group_right_renew"))
