import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from psycopg2 import errors as pg_errors

_logger = logging.getLogger(__name__)

#: concurrency failures that only mean "someone else changed this account just now"
_CONFLICTS = (
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.DeadlockDetected,
)


# one concern per file keeps each under 400 lines (STYLE.md)
class ZmSubscriber(models.Model):
    """Auto-renewal from balance before expiry, for the accounts that ask for it (§3)."""

    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_auto_renew(self, commit=False):
        """Renew from the balance the accounts due within the company's lead time.

        Each account is one savepoint and, with ``commit`` (the cron), one transaction:
        a renewal's lock is released at once, and an account that cannot be renewed
        (no balance, package archived or no longer sold in its area) or that an
        operator changed at the same moment is skipped without stopping the others;
        it is tried again at the next run while it is due. A second run, or two at
        once, renew nothing twice: each account is re-read under its lock.
        """
        renewed = self.browse()
        now = fields.Datetime.now()
        candidates = []
        for company in self.env["res.company"].sudo().search([]):
            horizon = now + timedelta(hours=company.zm_auto_renew_hours)
            ids = self.sudo().search(self._zm_auto_renew_domain(company, horizon)).ids
            candidates += [(account_id, horizon) for account_id in ids]
        for done, (account_id, horizon) in enumerate(candidates, 1):
            account = self.sudo().browse(account_id)
            try:
                with self.env.cr.savepoint():
                    account._zm_auto_renew_one(now, horizon)
                renewed |= account
            except UserError as exc:
                _logger.info("auto-renew of account %s skipped: %s", account_id, exc)
            except _CONFLICTS:
                _logger.info("auto-renew of account %s skipped: changed meanwhile", account_id)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env["ir.cron"]._notify_progress(done=done, remaining=len(candidates) - done)
        return renewed

    @api.model
    def _zm_auto_renew_domain(self, company, horizon):
        return [
            ("company_id", "=", company.id),
            ("auto_renew", "=", True),
            ("state", "=", "active"),
            ("package_id", "!=", False),
            ("expiry_at", "!=", False),
            ("expiry_at", "<=", horizon),
        ]

    def _zm_auto_renew_one(self, now, horizon):
        """Renew one account from its balance, if it is still due once locked."""
        self.ensure_one()
        self._zm_lock()
        # re-read after the lock: an operator or another run may have renewed it
        if not self.filtered_domain(self._zm_auto_renew_domain(self.company_id, horizon)):
            raise UserError(self.env._("Nothing to renew."))
        root = self.env.ref("base.user_root")
        account = self.sudo().with_context(zm_operator_id=root.id, tracking_disable=True)
        return account._zm_renew(
            root,
            1,
            promotion=True,
            balance_only=True,
            note=self.env._("Auto-renewal from balance"),
        )
