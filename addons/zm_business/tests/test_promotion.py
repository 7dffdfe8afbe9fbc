from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.tests import Form, tagged

from .common import ZmBusinessCommon, utc


@tagged("post_install", "-at_install")
class TestPromotion(ZmBusinessCommon):
    """Promotions at purchase (B6) and their zero value in refunds and revenue (DESIGN §4)."""

    def _promotion(self, name, bonus_type, bonus_value, buy_count=12, **vals):
        return self.env["zm.promotion"].create(
            {
                "name": name,
                "package_ids": [Command.set(self.monthly.ids)],
                "buy_count": buy_count,
                "bonus_type": bonus_type,
                "bonus_value": bonus_value,
                "company_id": self.company.id,
                **vals,
            }
        )

    def _funded(self, name, amount=3000.0):
        account = self._subscriber(name)
        desk = account.with_user(self.operator)
        desk.action_open()
        desk.action_topup(amount, self.cash.id)
        return account, desk

    @freeze_time("2026-01-10 02:00:00")
    def test_extra_month_beyond_the_paid_year(self):
        """Buy 12 get 1 month: expiry 13 months out, invoice and service period for 12."""
        promo = self._promotion("Buy 12 get 1 month", "months", 1)
        # a smaller money-off applies too, but the month is worth more (40 > 30)
        self._promotion("Buy 12, 30 off", "money_off", 30)
        account, desk = self._funded("room-201")
        order = desk.action_buy_package(self.monthly.id, 12)
        self.assertEqual(order.promotion_id, promo)
        self.assertEqual(account.expiry_at, utc(2027, 2, 10, 2, 0))
        self.assertEqual(order.expiry_after, utc(2027, 2, 10, 2, 0))
        self.assertIn("Buy 12 get 1 month", order.note_after)
        invoice = order.move_ids
        self.assertEqual(invoice.amount_total, 576.0)  # 12 x 40 + 20 % VAT
        line = invoice.invoice_line_ids
        self.assertEqual(line.zm_service_end, utc(2027, 1, 10, 2, 0))
        # a renewal starts after the bonus month, and earns it again
        renewed = desk.action_renew(12)
        self.assertEqual(renewed.move_ids.invoice_line_ids.zm_service_start, utc(2027, 2, 10, 2))
        self.assertEqual(account.expiry_at, utc(2028, 3, 10, 2, 0))

    @freeze_time("2026-01-10 02:00:00")
    def test_money_off_never_below_zero(self):
        """Money off comes off the price; a bonus larger than the price leaves a zero invoice."""
        self._promotion("Buy 3, 50 off", "money_off", 50, buy_count=3)
        account, desk = self._funded("room-202")
        order = desk.action_buy_package(self.monthly.id, 3)
        self.assertEqual(order.move_ids.amount_total, 84.0)  # (120 - 50) x 1.2
        self.assertEqual(account.expiry_at, utc(2026, 4, 10, 2, 0))
        self.assertEqual(order.move_ids.invoice_line_ids.zm_service_value, 70.0)
        self.env["zm.promotion"].search([]).active = False
        self._promotion("Free year", "money_off", 5000, buy_count=1)
        other, other_desk = self._funded("room-203")
        free = other_desk.action_buy_package(self.monthly.id, 1)
        self.assertEqual(free.move_ids.amount_total, 0.0)
        other.invalidate_recordset(["balance"])
        self.assertEqual(other.balance, 3000.0)
        self.assertBalanced(free.move_ids)

    @freeze_time("2026-01-10 02:00:00")
    def test_expired_declined_and_traffic(self):
        """An ended promotion is not given, the operator may decline one, traffic is recorded."""
        self._promotion("Old", "months", 2, date_to=date(2026, 1, 9))
        account, desk = self._funded("room-204")
        order = desk.action_buy_package(self.monthly.id, 12)
        self.assertFalse(order.promotion_id)
        self.assertEqual(account.expiry_at, utc(2027, 1, 10, 2, 0))
        self._promotion("Traffic", "traffic_gb", 50)
        declined = desk.action_renew(12, promotion=False)
        self.assertFalse(declined.promotion_id)
        self.assertEqual(account.expiry_at, utc(2028, 1, 10, 2, 0))
        traffic = desk.action_renew(12)
        self.assertEqual(traffic.bonus_traffic_gb, 50.0)
        self.assertEqual(traffic.promotion_id.bonus_type, "traffic_gb")
        self.assertEqual(account.expiry_at, utc(2029, 1, 10, 2, 0))

    def test_refund_and_revenue_ignore_promotion_time(self):
        """Cancel refunds pro rata over the paid year only; revenue is all earned by its end."""
        self._promotion("Buy 12 get 1 month", "months", 1)
        with freeze_time("2026-01-10 02:00:00"):
            account, desk = self._funded("room-205")
            desk.action_buy_package(self.monthly.id, 12)
            other, other_desk = self._funded("room-206")
            paid = other_desk.action_buy_package(self.monthly.id, 12)
            # cancelled at once: exactly what was paid comes back
            self.assertEqual(other_desk.action_cancel().amount, paid.move_ids.amount_total)
        with freeze_time("2026-03-10 02:00:00"):  # 59 of the 365 paid days used
            cancel = desk.action_cancel()
        # 480 x 306 / 365 untaxed, + 20 % VAT; over 396 days it would be 408.48 untaxed
        credit = cancel.move_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertAlmostEqual(credit.amount_untaxed, 402.41, places=2)

        with freeze_time("2026-01-10 02:00:00"):
            third, third_desk = self._funded("room-208")
            third_desk.action_buy_package(self.monthly.id, 12)
        with freeze_time("2027-02-01 03:00:00"):  # cut Feb 1, inside the bonus month
            self.env["zm.revenue.recognition"]._cron_recognise()
        line = third.order_ids.move_ids.invoice_line_ids.filtered("zm_service_value")
        self.assertAlmostEqual(line.zm_recognised, 480.0, places=2)

    def test_first_dial_and_wizard_opt_out(self):
        """A first-dial start puts the bonus after the paid periods; the wizard can decline it."""
        self._promotion("Buy 12 get 1 month", "months", 1)
        dial = self._package("Dial 40", 40.0, start_at_first_dial=True)
        self.env["zm.promotion"].search([]).package_ids |= dial
        account = self._subscriber("room-209", package_id=dial.id)
        with freeze_time("2026-01-10 02:00:00"):
            order = account.with_user(self.operator).action_open(12, 600.0, self.cash.id)
            self.assertEqual(
                (account.state, order.promotion_id.name), ("waiting", "Buy 12 get 1 month")
            )
        account._zm_start_service(utc(2026, 2, 1, 4, 0))
        line = order.move_ids.filtered(lambda m: m.move_type == "out_invoice").invoice_line_ids
        self.assertEqual(line.zm_service_end, utc(2027, 2, 1, 4, 0))
        self.assertEqual(account.expiry_at, utc(2027, 3, 1, 4, 0))

        other, _desk = self._funded("room-210")
        other.with_user(self.operator).action_buy_package(self.monthly.id, 1)
        context = {"default_kind": "renew", "default_subscriber_id": other.id}
        Wizard = self.env["zm.business.wizard"].with_user(self.operator).with_context(**context)
        form = Form(Wizard)
        form.periods = 12
        self.assertTrue(form.apply_promotion)
        form.apply_promotion = False
        action = form.save().action_confirm()
        self.assertFalse(self.env["zm.order"].browse(action["res_id"]).promotion_id)
