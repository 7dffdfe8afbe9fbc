import inspect

from freezegun import freeze_time
from odoo.exceptions import AccessError
from odoo.models import check_method_name
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ZmBusinessCommon

#: public methods of our models that RPC callers may use; everything else is private
RPC_METHODS = {
    # ORM overrides, checked inside
    "create",
    "write",
    "unlink",
    "copy_data",
    "default_get",
    "init",
    "export_data",
    # Odoo's own buttons we guard
    "button_draft",
    "button_cancel",
    "action_draft",
    "action_cancel",
    "reconcile",
    "remove_move_reconcile",
    # Odoo's chart loader, extended to build the demo (system administrators only)
    "try_loading",
}


@tagged("post_install", "-at_install")
class TestRights(ZmBusinessCommon):
    def test_payout_needs_the_refund_right(self):
        """The cancel right alone cannot pay cash out; with the refund right it can."""
        cashier = new_test_user(
            self.env,
            login="zm_rights_cancel",
            groups="zm_broadband.group_operator,zm_broadband.group_right_cancel",
            company_id=self.company.id,
        )
        cashier.zm_area_ids = self.area
        account = self._subscriber("rights-1", package_id=self.monthly.id)
        with freeze_time("2026-06-01 00:00:00"):
            account.with_user(self.operator).action_open(amount=100.0, journal_id=self.cash.id)
            desk = account.with_user(cashier)
            with self.assertRaises(AccessError):
                desk.action_cancel(refund_mode="payout", journal_id=self.cash.id)
            self.assertEqual(account.state, "active")
            desk.action_cancel()  # to the balance: the cancel right is enough
        self.assertEqual(account.state, "cancelled")

    def test_refusals_are_access_errors(self):
        """A missing right, a foreign area or a non-auditor are refused with AccessError."""
        clerk = new_test_user(
            self.env,
            login="zm_rights_clerk",
            groups="zm_broadband.group_operator",
            company_id=self.company.id,
        )
        clerk.zm_area_ids = self.area
        account = self._subscriber("rights-2")
        with self.assertRaises(AccessError):
            account.with_user(clerk).action_topup(10.0, self.cash.id)
        order = account.with_user(self.operator).action_topup(10.0, self.cash.id)
        with self.assertRaises(AccessError):
            order.with_user(self.operator).action_reject("no")

    def test_public_methods_are_meant_for_rpc(self):
        """Every public method of our models is an action, a button or a guarded override:
        crons and helpers are private, so no RPC caller (portal included) can run them."""
        found = {}
        for model in self.env.registry.values():
            for cls in type(self.env[model._name]).__mro__:
                if not cls.__module__.startswith("odoo.addons.zm_"):
                    continue
                for name, member in vars(cls).items():
                    if name.startswith("_") or not inspect.isfunction(member):
                        continue
                    if name in RPC_METHODS or name.startswith(("action_", "button_")):
                        continue
                    found.setdefault(name, set()).add(f"{cls.__module__}:{model._name}")
        self.assertEqual(found, {})

    def test_cron_methods_are_private(self):
        """The crons' methods are refused by Odoo's RPC name check."""
        for method in ("_cron_auto_renew", "_cron_recognise", "_zm_start_service"):
            with self.assertRaises(AccessError):
                check_method_name(method)


@tagged("post_install", "-at_install")
class TestPortalRpc(HttpCase):
    """A portal user over JSON-RPC reaches none of the desk's crons or actions."""

    def test_portal_cannot_run_crons(self):
        """The old public cron names are gone and the new ones are private."""
        new_test_user(
            self.env, login="zm_portal_rpc", password="zm_portal_rpc", groups="base.group_portal"
        )
        self.authenticate("zm_portal_rpc", "zm_portal_rpc")
        for model, method in (
            ("zm.subscriber", "cron_auto_renew"),
            ("zm.subscriber", "_cron_auto_renew"),
            ("account.move.line", "cron_zm_recognise_revenue"),
            ("zm.revenue.recognition", "_cron_recognise"),
        ):
            with self.subTest(method=method), mute_logger("odoo.http"):
                response = self.url_open(
                    "/web/dataset/call_kw",
                    data=(
                        '{"jsonrpc": "2.0", "method": "call", "params": '
                        f'{{"model": "{model}", "method": "{method}", "args": [], "kwargs": {{}}}}}}'
                    ),
                    headers={"Content-Type": "application/json"},
                )
                self.assertIn("error", response.json(), response.text)
