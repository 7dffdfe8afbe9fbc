from freezegun import freeze_time
from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ALL_RIGHTS, ZmBusinessCommon


@tagged("post_install", "-at_install")
class TestAreaIsolation(ZmBusinessCommon):
    """An operator limited to area A reaches no area-B data by any path (A4, DESIGN §5):
    accounts, orders, charges (entries and payments), billing partners and wizards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk_a = new_test_user(
            cls.env,
            login="zm_iso_clerk_a",
            groups=f"zm_broadband.group_operator,{ALL_RIGHTS},zm_broadband.group_right_credit,"
            "base.group_allow_export",
            company_id=cls.company.id,
        )
        cls.clerk_a.zm_area_ids = [Command.set(cls.area.ids)]
        cls.mine = cls._opened("iso-a", cls.area)
        cls.theirs = cls._opened("iso-b", cls.area_south)
        cls.their_orders = cls.theirs.order_ids
        cls.their_moves = cls.their_orders.move_ids
        cls.their_payments = cls.their_orders.payment_ids

    @classmethod
    def _opened(cls, name, area):
        account = cls.env["zm.subscriber"].create(
            {
                "name": name,
                "area_id": area.id,
                "package_id": cls.monthly.id,
                "company_id": cls.company.id,
                "phone": "139" + name[-1] * 8,
            }
        )
        with freeze_time("2026-06-01 00:00:00"):
            account.action_open(amount=100.0, journal_id=cls.cash.id)
        return account

    def _rpc(self, model, method, *args, **kwargs):
        return call_kw(self.env[model].with_user(self.clerk_a), method, list(args), kwargs)

    def _assert_hidden(self, model, records, name_field="name"):
        """search, search_read, read_group and name_search find none of ``records``;
        read and export_data of them are refused."""
        ids = set(records.ids)
        found = self._rpc(model, "search", [("id", "in", list(ids))])
        self.assertFalse(set(found) & ids, f"{model}.search")
        rows = self._rpc(model, "search_read", [("id", "in", list(ids))], fields=["id"])
        self.assertFalse(rows, f"{model}.search_read")
        groups = self._rpc(model, "read_group", [("id", "in", list(ids))], ["id:count"], [])
        self.assertFalse(sum(g.get("__count", g.get("id_count", 0)) or 0 for g in groups))
        for record in records:
            value = record[name_field]
            if value:
                names = self._rpc(model, "name_search", value if isinstance(value, str) else "")
                self.assertFalse({row[0] for row in names} & ids, f"{model}.name_search")
        with self.assertRaises(AccessError):
            self._rpc(model, "read", records.ids, ["id"])
        with self.assertRaises(AccessError):
            self._rpc(model, "export_data", records.ids, [name_field])

    def test_accounts(self):
        """Area-B accounts: hidden, unreadable, unwritable, not deletable, no desk action."""
        self._assert_hidden("zm.subscriber", self.theirs)
        phone_hits = self._rpc("zm.subscriber", "name_search", self.theirs.phone)
        self.assertFalse(phone_hits)
        with self.assertRaises(AccessError):
            self._rpc("zm.subscriber", "write", self.theirs.ids, {"phone": "1"})
        with self.assertRaises(AccessError):
            self._rpc("zm.subscriber", "unlink", self.theirs.ids)
        for method, args in (
            ("action_topup", (10.0, self.cash.id)),
            ("action_renew", ()),
            ("action_pause", ()),
            ("action_set_credit", (10.0,)),
            ("action_cancel", ()),
            ("button_zm_pause", ()),
            ("action_view_billing_partner", ()),
            ("action_view_zm_orders", ()),
        ):
            with self.subTest(method=method), self.assertRaises(AccessError):
                self._rpc("zm.subscriber", method, self.theirs.ids, *args)
        self.theirs.invalidate_recordset()
        self.assertEqual(len(self.theirs.order_ids), 1)

    def test_move_into_another_area_is_refused(self):
        """The desk runs as superuser, yet a move into an area the operator lacks is refused."""
        with self.assertRaises(AccessError):
            self._rpc("zm.subscriber", "action_move_area", self.mine.ids, self.area_south.id)
        self.assertEqual(self.mine.area_id, self.area)

    def test_orders(self):
        """Area-B orders: hidden and unreadable; no rejection, no charge list."""
        self._assert_hidden("zm.order", self.their_orders)
        with self.assertRaises(AccessError):
            self._rpc("zm.order", "action_reject", self.their_orders.ids, "x")
        with self.assertRaises(AccessError):
            self._rpc("zm.order", "action_view_charges", self.their_orders.ids)

    def test_charges(self):
        """Area-B journal entries, items and payments are hidden; the operator's own area's
        are readable (did my payment go through?)."""
        self._assert_hidden("account.move", self.their_moves)
        self._assert_hidden("account.payment", self.their_payments)
        lines = self.their_moves.line_ids
        found = self._rpc("account.move.line", "search", [("id", "in", lines.ids)])
        self.assertFalse(found)
        own = self.mine.order_ids.move_ids
        visible = self._rpc("account.move", "search", [("zm_subscriber_id", "=", self.mine.id)])
        self.assertEqual(set(visible), set(own.ids))
        rows = self._rpc("account.move", "read", own.ids, ["name", "amount_total"])
        self.assertEqual(len(rows), len(own))
        with self.assertRaises(AccessError):
            self._rpc("account.move", "write", own.ids, {"ref": "changed"})
        with self.assertRaises(AccessError):
            self._rpc("account.move", "button_draft", own.ids)

    def test_billing_partners(self):
        """Area-B billing partners are hidden: name and phone never come back."""
        partner = self.theirs.partner_id
        self._assert_hidden("res.partner", partner)
        hits = self._rpc("res.partner", "name_search", "iso-b")
        self.assertFalse(hits)
        # pointing an own account at their billing partner would take over its balance
        with self.assertRaises(AccessError):
            self._rpc("zm.subscriber", "write", self.mine.ids, {"partner_id": partner.id})
        # a customer field pointing at a billing partner is refused too
        with self.assertRaises(UserError):
            self._rpc(
                "zm.subscriber",
                "create",
                {"name": "iso-c", "area_id": self.area.id, "customer_id": self.mine.partner_id.id},
            )

    def test_wizards(self):
        """A desk wizard for an area-B account cannot be made, nor pointed at one later."""
        with self.assertRaises(AccessError):
            self._rpc(
                "zm.business.wizard",
                "create",
                {"subscriber_id": self.theirs.id, "kind": "topup"},
            )
        wizard_id = self._rpc(
            "zm.business.wizard", "create", {"subscriber_id": self.mine.id, "kind": "topup"}
        )
        with self.assertRaises(AccessError):
            self._rpc("zm.business.wizard", "write", [wizard_id], {"subscriber_id": self.theirs.id})
        with self.assertRaises(AccessError):
            self._rpc(
                "zm.charge.reject.wizard",
                "create",
                {"order_ids": [Command.set(self.their_orders.ids)], "reason": "x"},
            )
