import logging

from odoo import api, fields, models
from odoo.tools import SQL
from psycopg2 import errors as pg_errors

from zm_rules import contract

#: concurrency failures that only mean "someone else changed this account just now"
_CONFLICTS = (
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.DeadlockDetected,
)
_logger = logging.getLogger(__name__)

S = contract.SCHEMA


class ZmSubscriber(models.Model):
    """The RADIUS side of an account: bindings, first dial, sessions (B9, B10, B11)."""

    _inherit = "zm.subscriber"

    password_crypt = fields.Char(
        string="Imported Password Hash",
        copy=False,
        groups="zm_broadband.group_manager",
        help="A crypt(3) hash brought from another billing system; works for PAP only, "
        "until a new password is set.",
    )
    auto_bind_mac = fields.Boolean(
        string="Bind MAC on First Dial",
        help="The MAC address of the first successful login becomes the only one allowed.",
    )
    auto_bind_nas = fields.Boolean(
        string="Bind NAS on First Dial",
        help="The NAS of the first successful login becomes the only one allowed.",
    )
    dial_mac = fields.Char(
        string="MAC Bound at First Dial", compute="_compute_first_dial", compute_sudo=True
    )
    dial_nas = fields.Char(
        string="NAS Bound at First Dial", compute="_compute_first_dial", compute_sudo=True
    )
    online_count = fields.Integer(string="Online Sessions", compute="_compute_online_count")

    def _compute_first_dial(self):
        rows = {}
        if self.ids:
            rows = {
                row[0]: row[1:]
                for row in self.env.execute_query(
                    SQL(
                        "SELECT s.id, fd.mac, fd.nas FROM zm_subscriber s "
                        f"JOIN {S}.first_dial fd ON fd.username = lower(s.name) "
                        "WHERE s.id IN %s",
                        tuple(self.ids),
                    )
                )
            }
        for account in self:
            mac, nas = rows.get(account.id, (False, False))
            account.dial_mac = mac or False
            account.dial_nas = nas or False

    def _compute_online_count(self):
        counts = (
            dict(
                self.env["zm.session"]._read_group(
                    [("subscriber_id", "in", self.ids)], ["subscriber_id"], ["__count"]
                )
            )
            if self.ids
            else {}
        )
        for account in self:
            account.online_count = counts.get(account, 0)

    @api.model
    def _zm_feed(self, names):
        """A change-feed row per account name, in this transaction (DESIGN §6); once per
        name and transaction, as the triggers do."""
        names = [name.lower() for name in names if name]
        if names:
            self.env.cr.execute(
                SQL(
                    f"""INSERT INTO {S}.account_change (username)
                        SELECT DISTINCT n FROM unnest(%s::text[]) AS n
                         WHERE NOT EXISTS (SELECT 1 FROM {S}.account_change c
                                            WHERE c.txid = pg_current_xact_id()
                                              AND c.username = n)""",
                    names,
                )
            )
            self.env.cr.execute(SQL("SELECT pg_notify(%s, '')", contract.CHANGE_CHANNEL))

    def _zm_done(self, order):
        # the balance and arrears live in Accounting: a desk order may change them
        self._zm_feed(self.mapped("name"))
        return super()._zm_done(order)

    # ------------------------------------------------------------------
    # Bindings and the first dial (B9, B10)
    # ------------------------------------------------------------------

    def action_unbind(self):
        """Forget the bound MAC and NAS, typed or taken at the first dial: the next login
        from anywhere is allowed (and binds again when the account asks for it)."""
        self._zm_check_binding_right()
        accounts = self.sudo()
        accounts.write({"bind_mac": False, "bind_nas_ident": False})
        self.env.cr.execute(
            SQL(
                f"UPDATE {S}.first_dial SET mac = NULL, nas = NULL WHERE username = ANY(%s)",
                [name.lower() for name in accounts.mapped("name")],
            )
        )
        self._zm_feed(accounts.mapped("name"))
        self.invalidate_recordset(["dial_mac", "dial_nas"])
        return True

    def _zm_check_binding_right(self):
        # unbinding is an edit of the bindings: whoever may edit the account may do it
        if not self.env.su:
            self.check_access("write")

    @api.model
    def _cron_first_dials(self, limit=1000):
        """Start the paid periods of waiting accounts the bridge saw dial (B10), once each."""
        rows = self.env.execute_query(
            SQL(
                f"""SELECT s.id, fd.first_dial_at AT TIME ZONE 'UTC'
                      FROM {S}.first_dial fd
                      JOIN zm_subscriber s ON lower(s.name) = fd.username
                     WHERE s.state = 'waiting'
                     ORDER BY fd.first_dial_at LIMIT %s""",
                limit,
            )
        )
        for account_id, first_dial_at in rows:
            account = self.sudo().browse(account_id)
            try:
                with self.env.cr.savepoint():
                    account._zm_start_service(first_dial_at)
            except _CONFLICTS:
                # another run (or the desk) started it at this moment: nothing is lost, the
                # next run finds it active or tries again
                _logger.info(
                    "first dial of account %s: changed meanwhile, left to the next run", account_id
                )
            except Exception:  # noqa: BLE001 - one account must not stop the others
                _logger.exception("first dial of account %s not applied", account_id)
        return len(rows)
