from freezegun import freeze_time
from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import ZmBusinessCommon, utc


@tagged("post_install", "-at_install")
class TestReviewFindings(ZmBusinessCommon):
    """What a hostile review broke, each now refused: money moved around the desk through
    billing partners, Odoo's accounting tools, rejections after a first dial or a pause."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = new_test_user(
            cls.env,
            login="zm_review_finance",
            groups="zm_broadband.group_finance",
            company_id=cls.company.id,
        )
        cls.mine = cls._opened("review-mine", cls.area, 200.0)
        cls.theirs = cls._opened("review-theirs", cls.area_south, 200.0)

    @classmethod
    def _opened(cls, name, area, amount):
        account = cls.env["zm.subscriber"].create(
            {
                "name": name,
                "area_id": area.id,
                "package_id": cls.monthly.id,
                "company_id": cls.company.id,
            }
        )
        with freeze_time("2026-06-01 02:00:00"):
            account.action_open(amount=amount, journal_id="cash")
        return account

    def _as(self, user, model, method, *args, **kwargs):
        return call_kw(self.env[model].with_user(user), method, list(args), kwargs)

    def assertLedger(self, account):
        account.invalidate_recordset()
        self.assertAlmostEqual(account.balance, -self._receivable_residual(account), places=2)

    # ------------------------------------------------------------------
    # billing partners
    # ------------------------------------------------------------------

    def test_billing_partner_cannot_be_reparented_or_edited(self):
        """An operator cannot put their account's billing partner under another one (the
        other account would pay), nor edit, expose or delete it."""
        partner = self.mine.partner_id
        victim = self.theirs.partner_id
        for vals in (
            {"parent_id": victim.id},
            {"zm_area_id": False},
            {"name": "renamed"},
            {"property_account_receivable_id": self.cash.default_account_id.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self._as(self.operator, "res.partner", "write", partner.ids, vals)
        with self.assertRaises(AccessError):
            self._as(self.operator, "res.partner", "create", {"name": "x", "parent_id": partner.id})
        customer = self.env["res.partner"].create({"name": "Plain customer"})
        with self.assertRaises(AccessError):
            self._as(self.operator, "res.partner", "write", customer.ids, {"parent_id": partner.id})
        with self.assertRaises(AccessError):
            self._as(self.operator, "res.partner", "unlink", partner.ids)
        self.assertEqual(partner.commercial_partner_id, partner)
        # the account itself keeps its billing partner in step (name, area)
        self.mine.with_user(self.operator).write({"phone": "13900000000"})
        self.assertEqual(partner.phone, "13900000000")

    def test_billing_partners_are_never_merged(self):
        """Odoo's contact merge would make two accounts share one balance: refused."""
        Wizard = self.env["base.partner.merge.automatic.wizard"]
        partners = self.mine.partner_id | self.theirs.partner_id
        wizard = Wizard.create(
            {"partner_ids": [Command.set(partners.ids)], "dst_partner_id": partners[0].id}
        )
        with self.assertRaises(AccessError):
            wizard.action_merge()
        self.assertTrue(partners.exists() == partners)

    # ------------------------------------------------------------------
    # Odoo's accounting tools on desk charges
    # ------------------------------------------------------------------

    def _invoice(self, account):
        return account.order_ids.move_ids.filtered(lambda m: m.move_type == "out_invoice")[:1]

    def test_finance_cannot_reprice_a_desk_invoice(self):
        """State written directly, a line repriced, items unmatched: all refused."""
        invoice = self._invoice(self.mine)
        invoice.with_user(self.finance).action_zm_check()
        attempts = [
            lambda: invoice.with_user(self.finance).write({"state": "draft"}),
            lambda: invoice.with_user(self.finance).write({"state": "cancel"}),
            lambda: invoice.invoice_line_ids.with_user(self.finance).write({"price_unit": 1.0}),
            lambda: invoice.line_ids.with_user(self.finance).remove_move_reconcile(),
        ]
        for attempt in attempts:
            with self.assertRaises(AccessError):
                attempt()
        self.assertEqual((invoice.state, invoice.amount_total), ("posted", 48.0))
        self.assertLedger(self.mine)

    def test_finance_cannot_move_money_with_accounting_tools(self):
        """Reversal wizard, a manual credit note, cross-matching, payment state: refused."""
        invoice = self._invoice(self.mine)
        balance = self.mine.balance
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.finance)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "x", "journal_id": invoice.journal_id.id})
        )
        with self.assertRaises(AccessError):
            reversal.refund_moves()
        manual = (
            self.env["account.move"]
            .with_user(self.finance)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.mine.partner_id.id,
                    "invoice_line_ids": [Command.create({"name": "gift", "price_unit": 1000.0})],
                }
            )
        )
        with self.assertRaises(AccessError):
            manual.action_post()
        theirs = self.theirs.order_ids.payment_ids.move_id.line_ids
        mine = invoice.line_ids
        receivable = (theirs | mine).filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable" and not ln.reconciled
        )
        if receivable:
            with self.assertRaises(AccessError):
                receivable.with_user(self.finance).reconcile()
        payment = self.mine.order_ids.payment_ids
        for attempt in (
            lambda: payment.with_user(self.finance).action_reject(),
            lambda: payment.with_user(self.finance).write({"state": "draft"}),
            lambda: payment.move_id.line_ids.with_user(self.finance).write(
                {"partner_id": self.theirs.partner_id.id}
            ),
        ):
            with self.assertRaises(AccessError):
                attempt()
        self.mine.invalidate_recordset()
        self.assertEqual(self.mine.balance, balance)
        self.assertLedger(self.mine)
        self.assertLedger(self.theirs)

    # ------------------------------------------------------------------
    # rejections
    # ------------------------------------------------------------------

    def test_first_dial_stands_on_earlier_sales(self):
        """A renewal sold while the account waited cannot be rejected once the first dial
        started the paid periods (it would take the running period back)."""
        waiting_pkg = self._package("Day card", 10.0, kind="day", start_at_first_dial=True)
        account = self._subscriber("review-dial", package_id=waiting_pkg.id)
        desk = account.with_user(self.operator)
        with freeze_time("2026-06-01 02:00:00"):
            desk.action_open(amount=30.0, journal_id="cash")
            renewal = desk.action_renew()
        account._zm_start_service(utc(2026, 6, 2, 8, 0))
        self.assertEqual(account.state, "active")
        first_dial = account.order_ids.filtered(lambda o: o.kind == "first_dial")
        self.assertEqual(len(first_dial), 1)
        with self.assertRaises(UserError) as caught:
            renewal.with_user(self.finance).action_reject("wrong")
        self.assertIn(first_dial.name, str(caught.exception))
        self.assertEqual((account.state, account.expiry_at), ("active", utc(2026, 6, 4, 8, 0)))

    def test_renewal_rejected_after_a_pause(self):
        """Renew, pause, resume, then reject the renewal: the month it added goes, the
        paused days stay added, and nothing is left unrejectable."""
        account = self.mine
        desk = account.with_user(self.operator)
        with freeze_time("2026-06-05 02:00:00"):
            renewal = desk.action_renew()
        self.assertEqual(account.expiry_at, utc(2026, 8, 1, 2, 0))
        with freeze_time("2026-06-10 02:00:00"):
            desk.action_pause()
        with freeze_time("2026-06-13 02:00:00"):
            desk.action_resume()
        self.assertEqual(account.expiry_at, utc(2026, 8, 4, 2, 0))
        renewal.with_user(self.finance).action_reject("customer asked for no renewal")
        self.assertEqual(account.expiry_at, utc(2026, 7, 4, 2, 0))
        self.assertAlmostEqual(account.balance, 152.0)
        self.assertLedger(account)

    # ------------------------------------------------------------------
    # smaller holes
    # ------------------------------------------------------------------

    def test_auto_renew_needs_the_renew_right(self):
        """A top-up-only clerk cannot switch on auto-renewal (the cron would then renew)."""
        clerk = new_test_user(
            self.env,
            login="zm_review_topup",
            groups="zm_broadband.group_operator,zm_broadband.group_right_topup",
            company_id=self.company.id,
        )
        clerk.zm_area_ids = self.area
        with self.assertRaises(AccessError):
            self._as(clerk, "zm.subscriber", "write", self.mine.ids, {"auto_renew": True})
        self._as(self.operator, "zm.subscriber", "write", self.mine.ids, {"auto_renew": True})
        self.assertTrue(self.mine.auto_renew)

    def test_raw_errors_are_gone(self):
        """A NUL in a rejection reason, nested ids, an unknown argument, look-alike names:
        clear errors."""
        order = self.mine.order_ids[:1]
        with self.assertRaises(ValidationError):
            order.with_user(self.finance).action_reject("bad\x00reason")
        with self.assertRaises(UserError):
            self.env["zm.subscriber"].with_user(self.operator).browse(
                [[self.mine.id]]
            ).action_renew()
        with self.assertRaises(UserError):
            self.mine.with_user(self.operator).action_renew(periodz=2)
        Subscriber = self.env["zm.subscriber"].with_user(self.operator)
        self._subscriber("abc")
        with self.assertRaises(ValidationError):
            Subscriber.create({"name": "ＡＢＣ", "area_id": self.area.id})
        with self.assertRaises(ValidationError):
            Subscriber.create({"name": "evil\u202egnp.exe", "area_id": self.area.id})
        with self.assertRaises(ValidationError):
            Subscriber.create({"name": "zero\u200bwidth", "area_id": self.area.id})
        with Form(Subscriber) as form:
            form.name = "王小明"
            form.area_id = self.area
        self.assertEqual(form.record.name, "王小明")
