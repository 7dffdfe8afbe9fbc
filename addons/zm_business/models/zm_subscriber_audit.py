from odoo import fields, models
from odoo.tools import SQL

from .account_move_line import money

#: the account's fields a rejected service order gives back (the credit limit is the
#: credit orders' own)
SERVICE_FIELDS = (
    "state",
    "expiry_at",
    "package_id",
    "area_id",
    "paused_at",
    "opened_at",
    "auto_renew",
    "zm_anchor_day",
    "zm_period_start",
)


# one concern per file keeps each under 400 lines (STYLE.md)
class ZmSubscriber(models.Model):
    """Rejection of an order by finance (D2): reverse its charges, restore the account."""

    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    def _zm_desk_values(self):
        """The account's money and service fields, as JSON an order keeps."""
        self.ensure_one()
        values = {}
        for fname in (*SERVICE_FIELDS, "credit_limit"):
            field = self._fields[fname]
            values[fname] = field.convert_to_write(self[fname], self)
            if field.type == "datetime" and values[fname]:
                values[fname] = fields.Datetime.to_string(values[fname])
        return values

    def _zm_reject_order(self, order, reason):
        """Reverse ``order``'s charges and give the account back what the order changed.

        The caller checked that no later order stands on this one, so the values kept
        on the order before it ran are exactly what to restore.
        """
        self.ensure_one()
        account = self.sudo().with_context(tracking_disable=True)
        moves = order.move_ids.filtered(lambda m: m.state == "posted" and not m.zm_rejected)
        today = account._zm_local_today()
        for move in moves:
            account._zm_unbook_service(move)
            reversal = move._reverse_moves(
                [
                    {"ref": reason, "date": today, "invoice_date": today}
                    if move.is_invoice()
                    else {"ref": reason, "date": today}
                ],
                cancel=True,
            )
            reversal.write({"checked": False, "zm_payment_method": move.zm_payment_method})
            (move | reversal).write(
                {
                    "zm_rejected": True,
                    "zm_reject_reason": reason,
                    "zm_order_id": order.id,
                    "zm_subscriber_id": account.id,
                }
            )
        # the payments' entries are reversed: Odoo's own state for such a payment
        order.payment_ids.filtered(
            lambda p: p.state not in ("rejected", "canceled")
        ).action_reject()
        restore = account._zm_restore_vals(order)
        if restore:
            account.write(restore)
        if order.kind == "topup" and order.reference:
            # the payment did not happen: a genuine delivery of it may credit again
            self.env.cr.execute(
                SQL(
                    "DELETE FROM zm_order_reference WHERE company_id = %s AND reference = %s",
                    order.company_id.id,
                    order.reference,
                )
            )
        account._zm_reconcile_open_items()
        order.write({"state": "rejected", "reject_reason": reason})
        return order

    def _zm_restore_vals(self, order):
        """What to write back on the account when ``order`` is rejected.

        No later sale or end of service stands on the order (see zm.order), but a pause,
        a resume or a move may have followed it: their effects stay. So a renewal gives
        back the time it added (a pause since has moved the expiry out, and it stays
        moved), an opening or a cancel gives back the whole account as it was.
        """
        self.ensure_one()
        before = order.desk_before or {}
        kind = order.kind
        if kind == "credit":
            return {"credit_limit": before.get("credit_limit", order.credit_limit_before)}
        if kind in ("topup", "refund"):
            return {}
        if kind == "open":
            return {
                "state": "draft",
                "expiry_at": False,
                "paused_at": False,
                "opened_at": False,
                "zm_anchor_day": 0,
                "zm_period_start": False,
            }
        if kind == "cancel":
            if before:
                return {f: before[f] for f in SERVICE_FIELDS if f in before}
            return {"state": order.state_before or "active", "expiry_at": order.expiry_before}
        vals = {}
        start, end = order.expiry_before, order.expiry_after
        if start != end and end and self.expiry_at:
            if start and start > order.date:
                vals["expiry_at"] = self.expiry_at - (end - start)  # the time it added
            else:
                vals["expiry_at"] = start  # it started a new run of periods
        if order.package_before_id and self.package_id == order.package_id:
            vals["package_id"] = order.package_before_id.id
        for fname in ("zm_anchor_day", "zm_period_start"):
            if fname in before:
                vals[fname] = before[fname]
        return vals

    def _zm_unbook_service(self, move):
        """Undo the prepaid bookkeeping of a sale or credit note about to be reversed."""
        currency = move.company_id.currency_id
        if move.move_type == "out_invoice":
            lines = move.invoice_line_ids.filtered("zm_service_value")
            recognised = sum(money(line.zm_recognised, currency) for line in lines)
            if recognised:
                # the reversal debits the whole value from the liability; give back to
                # it what revenue already took, in the recognition journal
                liability, revenue, journal = move.company_id._zm_business_setup()
                entry = (
                    self.env["account.move"]
                    .sudo()
                    .with_company(move.company_id)
                    .create(
                        {
                            "move_type": "entry",
                            "journal_id": journal.id,
                            "company_id": move.company_id.id,
                            "date": self._zm_local_today(),
                            "ref": self.env._("Recognised income of rejected %s", move.name),
                            "line_ids": [
                                fields.Command.create(
                                    {"account_id": revenue.id, "debit": float(recognised)}
                                ),
                                fields.Command.create(
                                    {"account_id": liability.id, "credit": float(recognised)}
                                ),
                            ],
                        }
                    )
                )
                entry.action_post()
            lines.write({"zm_recognised": 0.0})
            for line in lines:
                line.write({"zm_refunded": line.zm_service_value, "zm_closed": True})
        elif move.move_type == "out_refund":
            # the credited sales earn again from where they stopped
            for line in move.invoice_line_ids.filtered("zm_source_line_id"):
                line.zm_source_line_id.write({"zm_refunded": 0.0, "zm_closed": False})
