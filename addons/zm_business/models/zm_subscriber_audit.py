from odoo import fields, models

from .account_move_line import money


# one concern per file keeps each under 400 lines (STYLE.md)
class ZmSubscriber(models.Model):
    """Rejection of an order by finance (D2): reverse its charges, restore the dates."""

    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    def _zm_reject_order(self, order, reason):
        self.ensure_one()
        account = self.sudo()
        account._zm_lock()
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
        order.payment_ids.filtered(lambda p: p.state != "canceled").write({"state": "canceled"})
        vals = {}
        if order.expiry_before != order.expiry_after:
            if order.expiry_before and order.expiry_after and account.expiry_at:
                vals["expiry_at"] = account.expiry_at + (order.expiry_before - order.expiry_after)
            else:
                vals["expiry_at"] = order.expiry_before
        if order.state_before and account.state == order.state_after:
            vals["state"] = order.state_before
        if order.package_before_id and account.package_id == order.package_id:
            vals["package_id"] = order.package_before_id.id
        if order.area_before_id and account.area_id != order.area_before_id:
            vals["area_id"] = order.area_before_id.id
        if order.kind == "credit":
            vals["credit_limit"] = 0.0
        account.write(vals)
        account._zm_reconcile_open_items()
        order.write({"state": "rejected", "reject_reason": reason})
        return order

    def _zm_unbook_service(self, move):
        """Undo the prepaid bookkeeping of a sale or credit note about to be reversed."""
        if move.move_type == "out_invoice":
            lines = move.invoice_line_ids.filtered("zm_service_value")
            recognised = sum(money(line.zm_recognised) for line in lines)
            if recognised:
                # the reversal debits the whole value from the liability; give back
                # to it what revenue already took
                company = move.company_id
                liability, revenue = company._zm_check_business_accounts()
                entry = (
                    self.env["account.move"]
                    .sudo()
                    .create(
                        {
                            "move_type": "entry",
                            "journal_id": move.journal_id.id,
                            "company_id": company.id,
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
