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

    def test_cron_checks_the_package_like_the_desk(self):
        """An archived package, or one no longer sold in the account's area, is not renewed
        by the cron; the other accounts still are."""
        archived = self._account("auto-4", True, 100.0)
        elsewhere = self._account("auto-5", True, 100.0)
        fine = self._account("auto-6", True, 100.0)
        other = self._package("Other monthly", 40.0)
        with freeze_time("2026-03-05 00:00:00"):
            elsewhere.with_user(self.operator).action_change_package(other.id)
        other.area_ids = self.area_south
        archived_package = self._package("Archived monthly", 40.0)
        with freeze_time("2026-03-05 00:00:00"):
            archived.with_user(self.operator).action_change_package(archived_package.id)
        archived_package.active = False
        with freeze_time("2026-04-04 06:00:00"):
            renewed = self.env["zm.subscriber"]._cron_auto_renew()
        self.assertEqual(renewed, fine)
        self.assertEqual(fine.expiry_at, utc(2026, 5, 5, 0, 0))

    def test_exact_balance_is_enough(self):
        """A balance exactly equal to the price renews (money compared as money)."""
        exact = self._account("auto-7", True, 96.0)  # 48 for the open, 48 left
        with freeze_time("2026-04-04 06:00:00"):
            self.assertEqual(self.env["zm.subscriber"]._cron_auto_renew(), exact)
        self.assertEqual(exact.balance, 0.0)
