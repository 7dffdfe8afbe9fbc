from freezegun import freeze_time
from odoo.tests import tagged

from .common import ZmBusinessCommon, utc


@tagged("post_install", "-at_install")
class TestRecognition(ZmBusinessCommon):
    def test_paused_account_earns_nothing(self):
        """Income stops while an account is paused and the cancel refund is the rest."""
        account = self._subscriber("rec-1", package_id=self.monthly.id)
        desk = account.with_user(self.operator)
        with freeze_time("2026-04-30 16:00:00"):  # May 1 00:00 in Shanghai
            desk.action_open(amount=48.0, journal_id=self.cash.id)
        self.assertEqual(account.expiry_at, utc(2026, 5, 31, 16, 0))
        with freeze_time("2026-05-11 16:00:00"):  # 11 of 31 days used
            desk.action_pause()
        with freeze_time("2026-06-01 01:00:00"):
            self.env["zm.revenue.recognition"]._cron_recognise()
        # recognised up to the pause only: 40 x 11/31 = 14.19
        self.assertEqual(self._account_balance(self.revenue), -14.19)
        with freeze_time("2026-06-05 00:00:00"):
            cancelled = desk.action_cancel(refund_mode="payout", journal_id=self.cash.id)
        credit_note = cancelled.move_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.amount_untaxed, 25.81)  # the 20 unused days
        self.assertEqual(cancelled.payment_ids.amount, credit_note.amount_total)
        self.assertEqual(account.balance, 0.0)
        self.assertEqual(account.expiry_at, utc(2026, 5, 11, 16, 0))
        with freeze_time("2026-07-01 01:00:00"):
            self.env["zm.revenue.recognition"]._cron_recognise()
        self.assertEqual(self._account_balance(self.revenue), -14.19)
        self.assertEqual(self._account_balance(self.liability), 0.0)

    def test_recognition_entry(self):
        """The monthly entry debits contract liabilities and credits revenue, dated month end."""
        account = self._subscriber("rec-2", package_id=self.monthly.id)
        with freeze_time("2026-01-15 16:00:00"):  # Jan 16 00:00 local
            account.with_user(self.operator).action_open(amount=48.0, journal_id=self.cash.id)
        move = self.env["zm.revenue.recognition"]._recognise(self.company, utc(2026, 1, 31, 16, 0))
        # 16 of 31 days: 40 x 16/31 = 20.65
        self.assertEqual(str(move.date), "2026-01-31")
        self.assertEqual(move.state, "posted")
        self.assertBalanced(move)
        debit = move.line_ids.filtered("debit")
        self.assertEqual((debit.account_id, debit.debit), (self.liability, 20.65))
        self.assertEqual(move.line_ids.filtered("credit").account_id, self.revenue)
        # running again for the same cut recognises nothing twice
        self.assertFalse(
            self.env["zm.revenue.recognition"]._recognise(self.company, utc(2026, 1, 31, 16, 0))
        )
