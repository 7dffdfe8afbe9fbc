from freezegun import freeze_time
from odoo.tests import tagged

from .common import ZmBusinessCommon, utc


@tagged("post_install", "-at_install")
class TestWalkthrough(ZmBusinessCommon):
    def _check_ledger(self, account, balance):
        account.invalidate_recordset(["balance"])
        self.assertAlmostEqual(account.balance, balance, places=2)
        self.assertAlmostEqual(self._receivable_residual(account), -balance, places=2)
        self.assertBalanced(account.order_ids.move_ids)

    def test_account_lifecycle(self):
        """One account from open to cancel: every date, balance and journal entry."""
        account = self._subscriber("room-101")
        desk = account.with_user(self.operator)

        with freeze_time("2026-01-10 02:00:00"):  # 10:00 in Shanghai
            opened = desk.action_open()
            self.assertEqual((opened.kind, account.state), ("open", "active"))
            # opened without a package: no paid period, so not in good standing
            self.assertEqual(account.expiry_at, utc(2026, 1, 10, 2, 0))
            self.assertEqual(account.expiry_state, "expired")
            self.assertFalse(opened.move_ids)

            topup = desk.action_topup(100.0, self.cash.id)
            payment = topup.payment_ids
            self.assertEqual(payment.state, "paid")
            self.assertEqual(payment.journal_id, self.cash)
            # the cash goes straight to the journal's own account, not an outstanding one
            liquidity = payment.move_id.line_ids.filtered(lambda ln: ln.debit)
            self.assertEqual(liquidity.account_id, self.cash.default_account_id)
            self._check_ledger(account, 100.0)

            bought = desk.action_buy_package(self.monthly.id)
            invoice = bought.move_ids
            self.assertEqual(invoice.move_type, "out_invoice")
            self.assertEqual(invoice.amount_total, 48.0)  # 40 + 20 % VAT
            self.assertEqual(invoice.payment_state, "paid")
            self.assertEqual(invoice.invoice_line_ids.account_id, self.liability)
            self.assertEqual(account.expiry_at, utc(2026, 2, 10, 2, 0))
            self.assertEqual(account.package_id, self.monthly)
            self._check_ledger(account, 52.0)

            renewed = desk.action_renew()
            self.assertEqual(renewed.expiry_before, utc(2026, 2, 10, 2, 0))
            self.assertEqual(account.expiry_at, utc(2026, 3, 10, 2, 0))
            line = renewed.move_ids.invoice_line_ids
            self.assertEqual(
                (line.zm_service_start, line.zm_service_end),
                (utc(2026, 2, 10, 2, 0), utc(2026, 3, 10, 2, 0)),
            )
            self._check_ledger(account, 4.0)
            self.assertEqual(self._account_balance(self.liability), -80.0)

        with freeze_time("2026-02-01 03:00:00"):  # the 1st, 11:00 in Shanghai
            self.env["zm.revenue.recognition"]._cron_recognise()
        # earned by Feb 1 00:00 Shanghai: 40 x (21 d 14 h / 31 d) = 27.85
        self.assertEqual(self._account_balance(self.liability), -52.15)
        self.assertEqual(self._account_balance(self.revenue), -27.85)

        with freeze_time("2026-02-15 02:00:00"):
            desk.action_pause()
            self.assertEqual(account.state, "paused")
            self.assertEqual(account.paused_at, utc(2026, 2, 15, 2, 0))
        with freeze_time("2026-02-25 02:00:00"):
            resumed = desk.action_resume()
            self.assertEqual(account.state, "active")
            # ten paused days move the expiry out by ten days
            self.assertEqual(account.expiry_at, utc(2026, 3, 20, 2, 0))
            self.assertEqual(resumed.expiry_before, utc(2026, 3, 10, 2, 0))
            self.assertEqual(line.zm_service_start, utc(2026, 2, 25, 2, 0))
            self.assertEqual(line.zm_service_end, utc(2026, 3, 20, 2, 0))
            # 5 of 28 days were earned before the pause: 40 x 23/28 = 32.86 left
            self.assertEqual((line.zm_earned_before, line.zm_segment_value), (7.14, 32.86))

        with freeze_time("2026-03-01 02:00:00"):
            changed = desk.action_change_package(self.small.id)
            credit_note = changed.move_ids.filtered(lambda m: m.move_type == "out_refund")
            new_invoice = changed.move_ids.filtered(lambda m: m.move_type == "out_invoice")
            # 19 of the 23 remaining days unused: 32.86 x 19/23 = 27.15, + 20 % VAT
            self.assertEqual(credit_note.amount_untaxed, 27.15)
            self.assertEqual(credit_note.amount_total, 32.58)
            self.assertEqual(new_invoice.amount_total, 24.0)
            self.assertEqual(account.package_id, self.small)
            self.assertEqual(account.expiry_at, utc(2026, 4, 1, 2, 0))
            self._check_ledger(account, 4.0 + 32.58 - 24.0)

        with freeze_time("2026-03-11 02:00:00"):
            cancelled = desk.action_cancel()
            refund = cancelled.move_ids
            # 21 of 31 days of the small package unused: 20 x 21/31 = 13.55, + VAT 2.71
            self.assertEqual((refund.amount_untaxed, refund.amount_total), (13.55, 16.26))
            self.assertEqual(account.state, "cancelled")
            self.assertEqual(account.expiry_at, utc(2026, 3, 11, 2, 0))
            self._check_ledger(account, 28.84)

            paid_out = desk.action_refund(28.84, self.cash.id)
            self.assertEqual(paid_out.payment_ids.payment_type, "outbound")
            self._check_ledger(account, 0.0)

        with freeze_time("2026-04-01 03:00:00"):
            self.env["zm.revenue.recognition"]._cron_recognise()
        # all sold (100) minus credited (27.15 + 13.55) is revenue; nothing left owed
        self.assertEqual(self._account_balance(self.revenue), -59.30)
        self.assertEqual(self._account_balance(self.liability), 0.0)
        self.assertEqual(
            self._account_balance(self.vat.invoice_repartition_line_ids.account_id), -11.86
        )
        kinds = account.order_ids.sorted("id").mapped("kind")
        self.assertEqual(
            kinds,
            [
                "open",
                "topup",
                "buy_package",
                "renew",
                "pause",
                "resume",
                "change_package",
                "cancel",
                "refund",
            ],
        )
        self.assertTrue(all(order.user_id == self.operator for order in account.order_ids))
        self.assertIn("2026-03-10", resumed.note_before)
        self.assertIn("2026-03-20", resumed.note_after)
