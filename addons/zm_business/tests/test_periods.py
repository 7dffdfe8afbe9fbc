from decimal import Decimal

from freezegun import freeze_time
from odoo.tests import tagged

from ..models.account_move_line import money, quantum
from .common import ZmBusinessCommon, utc


@tagged("post_install", "-at_install")
class TestPeriods(ZmBusinessCommon):
    """Package periods at the desk follow the rules library (B5, DESIGN §3)."""

    def _opened(self, name, package, amount, when):
        account = self._subscriber(name, package_id=package.id)
        with freeze_time(when):
            account.with_user(self.operator).action_open(amount=amount, journal_id=self.cash.id)
        return account

    def test_hourly_package_runs_its_periods(self):
        """ "2 h a day x 30" is thirty days of service, not thirty hours."""
        hourly = self._package(
            "2 h a day x 30",
            30.0,
            kind="hour",
            quota_hours=2.0,
            quota_period="day",
            period_count=30,
        )
        account = self._opened("hours-1", hourly, 36.0, "2026-03-01 02:00:00")
        self.assertEqual(account.expiry_at, utc(2026, 3, 31, 2, 0))

    def test_month_end_anchor_survives_renewals(self):
        """A month bought on 31 January runs to 28 February, then renews to 31 March and
        30 April: the cycle keeps its anchor day (desk and auto-renew alike)."""
        # 31 Jan 10:00 in Shanghai
        account = self._opened("anchor-1", self.monthly, 200.0, "2026-01-31 02:00:00")
        self.assertEqual(account.expiry_at, utc(2026, 2, 28, 2, 0))
        with freeze_time("2026-02-20 00:00:00"):
            account.with_user(self.operator).action_renew()
        self.assertEqual(account.expiry_at, utc(2026, 3, 31, 2, 0))
        account.auto_renew = True
        with freeze_time("2026-03-30 12:00:00"):
            self.env["zm.subscriber"]._cron_auto_renew()
        self.assertEqual(account.expiry_at, utc(2026, 4, 30, 2, 0))
        with freeze_time("2026-04-29 12:00:00"):
            self.env["zm.subscriber"]._cron_auto_renew()
        self.assertEqual(account.expiry_at, utc(2026, 5, 31, 2, 0))

    def test_anchor_follows_a_bonus_shift(self):
        """Extra days of a promotion move the expiry off the anchor: later renewals run
        whole months from the new expiry, not back to the old day."""
        self.env["zm.promotion"].create(
            {
                "name": "5 days free",
                "bonus_type": "days",
                "bonus_value": 5,
                "company_id": self.company.id,
            }
        )
        account = self._opened("anchor-2", self.monthly, 200.0, "2026-01-31 02:00:00")
        self.assertEqual(account.expiry_at, utc(2026, 3, 5, 2, 0))
        with freeze_time("2026-03-01 00:00:00"):
            account.with_user(self.operator).action_renew(promotion=False)
        self.assertEqual(account.expiry_at, utc(2026, 4, 5, 2, 0))

    def test_lapsed_renewal_starts_a_new_cycle(self):
        """Renewed after it lapsed, an account's new cycle starts at the renewal."""
        account = self._opened("anchor-3", self.monthly, 200.0, "2026-01-31 02:00:00")
        with freeze_time("2026-03-10 04:00:00"):
            account.with_user(self.operator).action_renew()
        self.assertEqual(account.expiry_at, utc(2026, 4, 10, 4, 0))
        self.assertEqual(account.zm_anchor_day, 10)

    def test_money_rounds_like_the_currency(self):
        """Amounts round to the currency's own unit, half up as Odoo does (not half even
        to the cent)."""
        cny = self.company.currency_id
        self.assertEqual(money(2.665, cny), Decimal("2.67"))
        jpy = self.env.ref("base.JPY")
        self.assertEqual(quantum(jpy), Decimal("1"))
        self.assertEqual(money(100.5, jpy), Decimal("101"))
