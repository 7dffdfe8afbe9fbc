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

    def _sold(self, count, when="2026-01-15 16:00:00"):
        accounts = self.env["zm.subscriber"]
        for index in range(count):
            account = self._subscriber(f"rec-batch-{index}", package_id=self.monthly.id)
            with freeze_time(when):
                account.with_user(self.operator).action_open(amount=48.0, journal_id=self.cash.id)
            accounts |= account
        return accounts

    def test_batches_add_up_and_resume(self):
        """In batches of two, five accounts give three entries that add up to one run's
        amount; a run stopped after one batch resumes where it stopped."""
        self._sold(5)
        Recognition = self.env["zm.revenue.recognition"]
        cut = utc(2026, 1, 31, 16, 0)
        count, first = Recognition._recognise_batch(self.company, cut, batch_size=2)
        self.assertEqual(count, 2)
        self.assertEqual(Recognition._count_due(self.company, cut), 3)
        rest = Recognition._recognise(self.company, cut, batch_size=2)
        self.assertEqual(len(rest), 2)
        self.assertAlmostEqual(sum((first | rest).mapped("amount_total")), 5 * 20.65, places=2)
        self.assertEqual(Recognition._count_due(self.company, cut), 0)
        self.assertFalse(Recognition._recognise(self.company, cut))

    def test_cron_reports_progress_and_runs_twice_safely(self):
        """The cron moves each line once however often it runs."""
        self._sold(3)
        with freeze_time("2026-02-01 03:00:00"):
            self.env["zm.revenue.recognition"]._cron_recognise()
            self.env["zm.revenue.recognition"]._cron_recognise()
        self.assertEqual(self._account_balance(self.revenue), round(-3 * 20.65, 2))

    def test_own_journal(self):
        """Recognition posts in the company's recognition journal, not the first general one."""
        self._sold(1)
        moves = self.env["zm.revenue.recognition"]._recognise(self.company, utc(2026, 1, 31, 16, 0))
        self.assertEqual(moves.journal_id, self.company.zm_recognition_journal_id)
        self.assertEqual(moves.journal_id.code, "ZMREV")

    def test_lock_date_moves_the_entry_not_the_run(self):
        """With the month locked, the entry is dated on the first open day instead of failing,
        and one company's trouble does not stop another's."""
        self._sold(1)
        self.company.fiscalyear_lock_date = "2026-01-31"
        with freeze_time("2026-02-02 03:00:00"):
            self.env["zm.revenue.recognition"]._cron_recognise()
        entry = self.env["account.move"].search(
            [("journal_id", "=", self.company.zm_recognition_journal_id.id)]
        )
        self.assertEqual(str(entry.date), "2026-02-01")
        self.assertEqual(entry.state, "posted")
