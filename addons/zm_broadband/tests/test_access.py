from odoo.exceptions import AccessError

from .common import ZmBroadbandCase


class TestAccess(ZmBroadbandCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sub_east = cls._subscriber("a-east", password="pw-east")
        cls.sub_east_1 = cls._subscriber("a-east-1", area_id=cls.area_east_1.id, password="pw1")
        cls.sub_block = cls._subscriber("a-block", area_id=cls.area_east_1a.id)
        cls.sub_west = cls._subscriber("a-west", area_id=cls.area_west.id)
        cls.ours = cls.sub_east | cls.sub_east_1 | cls.sub_block | cls.sub_west

    def _visible(self, user):
        return self.env["zm.subscriber"].with_user(user).search([("id", "in", self.ours.ids)])

    def test_operator_sees_own_areas_with_children(self):
        """An operator of East 1 sees East 1 and Block A accounts, not East or West."""
        self.assertEqual(self._visible(self.operator), self.sub_east_1 | self.sub_block)
        areas = self.env["zm.area"].with_user(self.operator).search([])
        self.assertEqual(areas, self.area_east_1 | self.area_east_1a)
        with self.assertRaises(AccessError):
            self.sub_west.with_user(self.operator).read(["name"])

    def test_area_change_applies_at_once(self):
        """Giving an operator another area shows its accounts without a restart."""
        self.assertNotIn(self.sub_west, self._visible(self.operator))
        self.operator.zm_area_ids = self.area_east_1 | self.area_west
        self.assertIn(self.sub_west, self._visible(self.operator))

    def test_operator_without_area_sees_nothing(self):
        """An operator with no area sees no account."""
        self.operator.zm_area_ids = False
        self.assertFalse(self._visible(self.operator))

    def test_managers_and_finance_see_all(self):
        """Managers and finance staff see the accounts of every area."""
        self.assertEqual(self._visible(self.manager), self.ours)
        self.assertEqual(self._visible(self.finance), self.ours)

    def test_finance_reads_only(self):
        """Finance staff can read accounts but not change them."""
        with self.assertRaises(AccessError):
            self.sub_east.with_user(self.finance).write({"phone": "1"})

    def test_password_restricted(self):
        """Operators cannot read the password or NT hash, but can set a new password."""
        mine = self.sub_east_1.with_user(self.operator)
        with self.assertRaises(AccessError):
            mine.read(["password"])
        with self.assertRaises(AccessError):
            mine.read(["nt_hash"])
        self.assertTrue(mine.has_password)
        self.assertNotIn("password", mine.fields_get())
        mine.new_password = "newpass"
        self.assertEqual(self.sub_east_1.password, "newpass")
        self.assertEqual(
            self.sub_east_1.with_user(self.manager).read(["password"])[0]["password"], "newpass"
        )

    def test_operator_cannot_change_catalogue(self):
        """Operators read the catalogue but cannot create or change packages."""
        package = self.package.with_user(self.operator)
        self.assertEqual(package.name, "100M monthly")
        with self.assertRaises(AccessError):
            package.price = 1
        with self.assertRaises(AccessError):
            self.env["zm.package"].with_user(self.operator).create({"name": "x", "kind": "day"})

    def test_operator_cannot_delete_or_move_out(self):
        """Operators cannot delete accounts nor move one into an area they do not serve."""
        mine = self.sub_east_1.with_user(self.operator)
        with self.assertRaises(AccessError):
            mine.unlink()
        with self.assertRaises(AccessError):
            mine.area_id = self.area_west

    def test_manager_edits_catalogue(self):
        """A manager creates a package and gets its product without product rights."""
        package = (
            self.env["zm.package"]
            .with_user(self.manager)
            .create({"name": "day pass", "kind": "day", "price": 5})
        )
        self.assertEqual(package.sudo().product_id.list_price, 5)

    def test_views_for_each_role(self):
        """Every role can load the subscriber views; only managers get the password."""
        for user in (self.operator, self.finance, self.manager):
            views = (
                self.env["zm.subscriber"]
                .with_user(user)
                .get_views([(False, "list"), (False, "form"), (False, "search")])
            )
            form = views["views"]["form"]["arch"]
            self.assertIn('name="new_password"', form)
            self.assertEqual('name="password"' in form, user == self.manager, user.login)
            self.assertIn("expiry_state", views["models"]["zm.subscriber"]["fields"])

    def test_rights_come_with_the_roles(self):
        """Finance may post invoices; managers hold every business-type right (one list)."""
        self.assertTrue(self.finance.has_group("account.group_account_invoice"))
        self.assertFalse(self.operator.has_group("zm_broadband.group_right_renew"))
        rights = ["open", "topup", "renew", "buy_package", "addon_package", "change_package"]
        rights += ["move", "pause", "cancel", "refund", "credit"]
        for right in rights:
            group = self.env.ref(f"zm_broadband.group_right_{right}")
            self.assertEqual(
                group.category_id, self.env.ref("zm_broadband.module_category_broadband_rights")
            )
            self.assertTrue(self.manager.has_group(f"zm_broadband.group_right_{right}"), right)

    def test_credit_limit_only_through_the_desk(self):
        """An operator cannot set a credit limit by writing it: the server refuses."""
        mine = self.sub_east_1.with_user(self.operator)
        with self.assertRaises(AccessError):
            mine.write({"credit_limit": 500.0})
        self.assertEqual(self.sub_east_1.credit_limit, 0.0)
