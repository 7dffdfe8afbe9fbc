from freezegun import freeze_time
from odoo.api import call_kw
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import ZmBusinessCommon, utc


@tagged("post_install", "-at_install")
class TestDeskFields(ZmBusinessCommon):
    """Money and service fields change only through the desk's actions (DESIGN §3)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls._open_account("fields-1", 100.0)
        cls.other = cls._open_account("fields-2", 0.0)

    @classmethod
    def _open_account(cls, name, amount):
        account = cls.env["zm.subscriber"].create(
            {
                "name": name,
                "area_id": cls.area.id,
                "package_id": cls.monthly.id,
                "company_id": cls.company.id,
            }
        )
        with freeze_time("2026-06-01 00:00:00"):
            account.with_user(cls.operator).action_open(
                amount=amount or 48.0, journal_id=cls.cash.id
            )
        return account

    def _rpc_write(self, user, record, vals):
        return call_kw(self.env["zm.subscriber"].with_user(user), "write", [record.ids, vals], {})

    def test_operator_cannot_write_money_or_service_fields(self):
        """Over RPC, expiry, state, package, billing partner and credit limit are refused."""
        before = self.account.read(
            ["expiry_at", "state", "package_id", "partner_id", "credit_limit", "area_id"]
        )
        attempts = [
            {"expiry_at": "2099-01-01 00:00:00"},
            {"state": "paused"},
            {"package_id": self.small.id},
            {"partner_id": self.other.partner_id.id},
            {"credit_limit": 1000.0},
            {"opened_at": "2020-01-01 00:00:00"},
            {"area_id": self.area_south.id},
        ]
        for vals in attempts:
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self._rpc_write(self.operator, self.account, vals)
        self.account.invalidate_recordset()
        self.assertEqual(
            self.account.read(
                ["expiry_at", "state", "package_id", "partner_id", "credit_limit", "area_id"]
            ),
            before,
        )

    def test_manager_cannot_either(self):
        """Even a broadband manager goes through the desk: the change needs an order."""
        manager = new_test_user(
            self.env, login="zm_fields_manager", groups="zm_broadband.group_manager"
        )
        with self.assertRaises(AccessError):
            self._rpc_write(manager, self.account, {"expiry_at": "2099-01-01 00:00:00"})

    def test_other_fields_stay_editable(self):
        """Phone, bindings, session limit, auto-renew and notes are an operator's to edit."""
        self._rpc_write(
            self.operator,
            self.account,
            {
                "phone": "13800138000",
                "bind_mac": "AA-BB-CC-DD-EE-FF",
                "session_limit": 2,
                "auto_renew": True,
                "note": "Floor 3",
            },
        )
        self.assertEqual(self.account.bind_mac, "aa:bb:cc:dd:ee:ff")
        self.assertEqual(self.account.session_limit, 2)

    def test_writing_the_same_value_is_no_change(self):
        """An RPC client re-sending the current values is not refused."""
        self._rpc_write(
            self.operator,
            self.account,
            {"state": "active", "package_id": self.monthly.id, "area_id": self.area.id},
        )

    def test_create_cannot_start_in_good_standing(self):
        """An account created over RPC with a state or an expiry is refused; without, it is
        not opened and not in good standing."""
        Subscriber = self.env["zm.subscriber"].with_user(self.operator)
        base = {"name": "fresh-1", "area_id": self.area.id, "company_id": self.company.id}
        for vals in ({"state": "active"}, {"expiry_at": "2099-01-01 00:00:00"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                call_kw(Subscriber, "create", [{**base, **vals}], {})
        new_id = call_kw(Subscriber, "create", [base], {})
        account = self.env["zm.subscriber"].browse(new_id)
        self.assertEqual((account.state, account.expiry_state), ("draft", "draft"))
        self.assertFalse(account.expiry_at)

    def test_package_and_area_chosen_before_opening(self):
        """Before the open action nothing is sold: package and area can still be changed."""
        draft = self._subscriber("fresh-2", package_id=self.monthly.id)
        self._rpc_write(self.operator, draft, {"package_id": self.small.id})
        self._rpc_write(self.operator, draft, {"area_id": self.area_south.id})
        self.assertEqual((draft.package_id, draft.area_id), (self.small, self.area_south))

    def test_form_save_as_operator(self):
        """The subscriber form saves as an operator (readonly fields are not sent)."""
        with Form(self.account.with_user(self.operator)) as form:
            form.phone = "13900139000"
        self.assertEqual(self.account.phone, "13900139000")

    def test_open_without_package_is_not_good_standing(self):
        """Opening with no package leaves no paid period: expired, not normal."""
        account = self._subscriber("fresh-3")
        with freeze_time("2026-06-01 00:00:00"):
            account.with_user(self.operator).action_open()
            self.assertEqual(account.expiry_state, "expired")
            self.assertEqual(account.expiry_at, utc(2026, 6, 1, 0, 0))

    def test_unlimited_needs_a_manager(self):
        """An account without expiry is an explicit manager decision, recorded as an order."""
        account = self._subscriber("staff-1")
        with self.assertRaises(AccessError):
            account.with_user(self.operator).action_open(unlimited=True)
        manager = new_test_user(
            self.env,
            login="zm_fields_manager2",
            groups="zm_broadband.group_manager",
            company_id=self.company.id,
        )
        order = account.with_user(manager).action_open(unlimited=True)
        self.assertEqual((account.state, account.expiry_state), ("active", "normal"))
        self.assertFalse(account.expiry_at)
        self.assertEqual(order.kind, "open")

    def test_rejected_open_is_not_good_standing(self):
        """Rejecting the open gives the account back its not-opened state."""
        finance = new_test_user(
            self.env, login="zm_fields_fin", groups="zm_broadband.group_finance"
        )
        order = self.other.order_ids.filtered(lambda o: o.kind == "open")
        order.with_user(finance).action_reject("No such customer")
        self.assertEqual((self.other.state, self.other.expiry_state), ("draft", "draft"))
        self.assertFalse(self.other.expiry_at)

    def test_admin_migration_is_explicit_and_logged(self):
        """A system administrator may set the fields on purpose (import / migration), and the
        change is written on the account; the context alone does not let others do it."""
        admin = new_test_user(
            self.env,
            login="zm_fields_admin",
            groups="base.group_system,zm_broadband.group_manager",
            company_id=self.company.id,
        )
        migrating = self.env["zm.subscriber"].with_user(admin).with_context(zm_migration=True)
        migrating.browse(self.account.id).write({"expiry_at": "2027-01-01 00:00:00"})
        self.assertEqual(self.account.expiry_at, utc(2027, 1, 1))
        self.assertIn("import or migration", self.account.message_ids[0].body)
        with self.assertRaises(AccessError):
            self.account.with_user(self.operator).with_context(zm_migration=True).write(
                {"expiry_at": "2099-01-01 00:00:00"}
            )

    def test_order_trail_cannot_be_rewritten(self):
        """Finance cannot rewrite an order's before/after values that a rejection trusts."""
        finance = new_test_user(
            self.env, login="zm_fields_fin2", groups="zm_broadband.group_finance"
        )
        order = self.account.order_ids[:1]
        with self.assertRaises(AccessError):
            call_kw(
                self.env["zm.order"].with_user(finance),
                "write",
                [order.ids, {"expiry_before": "2099-01-01 00:00:00"}],
                {},
            )
        with self.assertRaises(AccessError):
            call_kw(
                self.env["zm.order"].with_user(finance),
                "create",
                [{"subscriber_id": self.account.id, "kind": "credit"}],
                {},
            )
