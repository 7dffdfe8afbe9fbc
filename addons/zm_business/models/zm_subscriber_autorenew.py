from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


# one concern per file keeps each under 400 lines (STYLE.md)
class ZmSubscriber(models.Model):
    """Auto-renewal from balance before expiry, for the accounts that ask for it (§3)."""

    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # Auto-renew
    # ------------------------------------------------------------------

    @api.model
    def cron_auto_renew(self):
        """Cron entry point: renew from balance the accounts that ask for it."""
        return self._cron_auto_renew(commit=True)

    @api.model
    def _cron_auto_renew(self, commit=False):
        """Renew the due accounts; with ``commit``, each renewal is its own transaction
        so one slow account never holds the locks of the others."""
        renewed = self.browse()
        now = fields.Datetime.now()
        for company in self.env["res.company"].search([]):
            horizon = now + timedelta(hours=company.zm_auto_renew_hours)
            candidates = self.sudo().search(
                [
                    ("company_id", "=", company.id),
                    ("auto_renew", "=", True),
                    ("state", "=", "active"),
                    ("package_id", "!=", False),
                    ("expiry_at", "!=", False),
                    ("expiry_at", "<=", horizon),
                ]
            )
            for account in candidates:
                try:
                    with self.env.cr.savepoint():
                        account._zm_auto_renew_one(now, horizon)
                        renewed |= account
                    if commit:
                        # one renewal per transaction: its lock is released at once
                        self.env.cr.commit()  # pylint: disable=invalid-commit
                except UserError:
                    # not enough balance: the account simply expires, no credit here
                    continue
        return renewed

    def _zm_auto_renew_one(self, now, horizon):
        self._zm_lock()
        # re-read after the lock: another transaction may have renewed it meanwhile
        if not (self.auto_renew and self.state == "active" and self.expiry_at <= horizon):
            raise UserError(self.env._("Nothing to renew."))
        package = self.package_id
        if self.balance < package.price:
            raise UserError(self.env._("Not enough balance."))
        order = self._zm_new_order(
            "renew",
            self.env.ref("base.user_root"),
            package_id=package.id,
            periods=1,
            note=self.env._("Auto-renewal from balance"),
        )
        start = max(self.expiry_at, now)
        end = self._zm_service_end(package, 1, start)
        line_vals = self._zm_prepare_invoice_line_vals(package, 1, package.price, start, end)
        invoice = self._zm_create_invoice(order, [line_vals])
        if self.company_id.currency_id.compare_amounts(invoice.amount_total, self.balance) > 0:
            raise UserError(self.env._("Not enough balance."))
        invoice.zm_payment_method = "balance"
        self._zm_post(invoice)
        self._zm_reconcile_open_items()
        order.amount = invoice.amount_total
        self.expiry_at = end
        return self._zm_done(order)
