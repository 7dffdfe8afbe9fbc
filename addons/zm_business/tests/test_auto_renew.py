from freezegun import freeze_time
from odoo.tests import tagged

from .common import ZmBusinessCommon, utc


@tagged("post_install", "-at_install")
class TestAutoRenew(ZmBusinessCommon):
    def _account(self, name, auto_renew, topup):
        account = self._subscriber(name, package_id=self.monthly.id, auto_renew=auto_renew)
        with freeze_time("2026-03-05 00:00:00"):
            account.with_user(self.operator).action_open(amount=topup, journal_id=self.cash.id)
        return account

    def test_cron_renews_from_balance(self):
        """The cron renews, before expiry, only accounts that ask and can pay."""
        asks = self._account("auto-1", True, 100.0)
        poor = self._account("auto-2", True, 50.0)
        manual = self._account("auto-3", False, 100.0)
        self.assertEqual(asks.expiry_at, utc(2026, 4, 5, 0, 0))
        with freeze_time("2026-04-03 00:00:00"):  # two days before: not yet
            self.assertFalse(self.env["zm.subscriber"]._cron_auto_renew())
        with freeze_time("2026-04-04 06:00:00"):
            renewed = self.env["zm.subscriber"]._cron_auto_renew()
            self.assertEqual(renewed, asks)
            # a second run in the same window does nothing more
            self.assertFalse(self.env["zm.subscriber"]._cron_auto_renew())
        self.assertEqual(asks.expiry_at, utc(2026, 5, 5, 0, 0))
        self.assertEqual(asks.balance, 4.0)
        order = asks.order_ids.filtered(lambda o: o.kind == "renew")
        self.assertEqual(order.user_id, self.env.ref("base.user_root"))
        self.assertEqual(order.move_ids.payment_state, "paid")
        self.assertEqual(poor.expiry_at, utc(2026, 4, 5, 0, 0))
        self.assertEqual(poor.balance, 2.0)
        self.assertFalse(poor.order_ids.filtered(lambda o: o.kind == "renew"))
        self.assertEqual(manual.expiry_at, utc(2026, 4, 5, 0, 0))
