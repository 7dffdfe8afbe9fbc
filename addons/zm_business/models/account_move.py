from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

#: what Odoo writes on a posted invoice as the user (sending, printing)
MOVE_FREE_FIELDS = ("is_move_sent", "invoice_pdf_report_id", "message_main_attachment_id")

#: how a broadband charge was paid; journals are named by their zm code (DESIGN §4)
PAYMENT_METHODS = [
    ("cash", "Cash"),
    ("card", "Bank card"),
    ("alipay", "Alipay"),
    ("wechat", "WeChat Pay"),
    ("balance", "Balance"),
    ("credit", "On credit"),
]

AUDIT_STATES = [("to_check", "To check"), ("checked", "Checked"), ("rejected", "Rejected")]


class AccountMove(models.Model):
    """Broadband charges (D1): invoices, credit notes and payments of an order."""

    _name = "account.move"
    _inherit = ["account.move", "zm.charge.mixin"]
    zm_kind = fields.Selection(string="Item", related="zm_order_id.kind", store=True, index=True)
    zm_operator_id = fields.Many2one(
        "res.users", string="Operator", related="zm_order_id.user_id", store=True, index=True
    )
    zm_payment_method = fields.Selection(
        PAYMENT_METHODS,
        string="Payment Method",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Payments: their journal. Invoices: settled from the account's balance, or "
        "left on credit. Credit notes go back to the balance. Set once, when posted.",
    )
    zm_direction = fields.Selection(
        [("income", "Income"), ("expense", "Expense")],
        string="Income / Expense",
        compute="_compute_zm_direction",
        store=True,
    )
    zm_audit_state = fields.Selection(
        AUDIT_STATES, string="Audit", compute="_compute_zm_audit_state", store=True, index=True
    )
    zm_rejected = fields.Boolean(string="Rejected", copy=False, readonly=True)
    zm_reject_reason = fields.Char(string="Reject Reason", copy=False, readonly=True)

    @api.depends("move_type", "origin_payment_id.payment_type", "zm_order_id")
    def _compute_zm_direction(self):
        for move in self:
            if not move.zm_order_id:
                move.zm_direction = False
            elif move.origin_payment_id:
                inbound = move.origin_payment_id.payment_type == "inbound"
                move.zm_direction = "income" if inbound else "expense"
            else:
                move.zm_direction = "expense" if move.move_type == "out_refund" else "income"

    @api.depends("checked", "zm_rejected", "zm_order_id")
    def _compute_zm_audit_state(self):
        for move in self:
            if not move.zm_order_id:
                move.zm_audit_state = False
            elif move.zm_rejected:
                move.zm_audit_state = "rejected"
            else:
                move.zm_audit_state = "checked" if move.checked else "to_check"

    def action_zm_check(self):
        """Finance marks broadband charges as checked; checked charges are locked (D2)."""
        self.env["zm.order"]._zm_check_auditor()
        charges = self.filtered("zm_order_id")
        if charges.filtered("zm_rejected"):
            raise UserError(self.env._("A rejected charge cannot be checked."))
        charges.sudo().checked = True
        return True

    def action_zm_reject(self):
        """Open the wizard that rejects the order of this charge with a reason."""
        self.env["zm.order"]._zm_check_auditor()
        return {
            "type": "ir.actions.act_window",
            "res_model": "zm.charge.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_ids": self.zm_order_id.ids},
        }

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._zm_guard_fields(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._zm_guard_fields(vals)
        unchecking = "checked" in vals and not vals["checked"] and not self.env.su
        if unchecking and self.filtered(lambda m: m.zm_order_id and m.checked):
            raise AccessError(self.env._("A checked broadband charge stays checked."))
        self._zm_refuse_edit(vals, MOVE_FREE_FIELDS)
        return super().write(vals)

    def _post(self, soft=True):
        """Money of a broadband account moves through the desk only: no other entry (a
        manual credit note, a reversal, a payment registered in Accounting) is posted on
        an account's billing partner, except by the desk itself."""
        if not self.env.su:
            foreign = self.filtered(lambda m: not m.zm_order_id and not m.zm_subscriber_id)
            if foreign.sudo().line_ids.partner_id.commercial_partner_id._zm_billing():
                raise AccessError(
                    self.env._(
                        "This entry is for a broadband account's billing partner: its money "
                        "moves through the business desk (top up, refund, or the rejection "
                        "of an order), which keeps the account and the ledger in step."
                    )
                )
        return super()._post(soft=soft)

    def button_draft(self):
        self.filtered(lambda m: m.state != "draft")._zm_refuse_undo()
        return super().button_draft()

    def button_cancel(self):
        self._zm_refuse_undo()
        return super().button_cancel()

    def unlink(self):
        self.filtered(lambda m: m.state == "posted")._zm_refuse_undo()
        return super().unlink()
