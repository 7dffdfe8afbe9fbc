from odoo import api, fields, models

from ..models.zm_order import ORDER_KINDS

#: the kinds an operator starts from the account form
WIZARD_KINDS = [kind for kind in ORDER_KINDS if kind[0] not in ("pause", "resume")]


class ZmBusinessWizard(models.TransientModel):
    """One form for the operator's transactions; it only calls ``zm.subscriber.action_*``."""

    _name = "zm.business.wizard"
    _description = "Broadband Business Transaction"

    subscriber_id = fields.Many2one("zm.subscriber", string="Account", required=True)
    company_id = fields.Many2one(related="subscriber_id.company_id")
    currency_id = fields.Many2one(related="subscriber_id.currency_id")
    balance = fields.Monetary(related="subscriber_id.balance")
    expiry_at = fields.Datetime(related="subscriber_id.expiry_at")
    kind = fields.Selection(WIZARD_KINDS, required=True)
    amount = fields.Monetary()
    journal_id = fields.Many2one(
        "account.journal",
        string="Payment Method",
        domain="[('type', 'in', ('cash', 'bank')), ('company_id', '=', company_id)]",
    )
    package_id = fields.Many2one("zm.package", domain="[('company_id', '=', company_id)]")
    periods = fields.Integer(default=1)
    apply_promotion = fields.Boolean(
        string="Apply promotion",
        default=True,
        help="Give the package's best current promotion with this purchase.",
    )
    area_id = fields.Many2one(
        "zm.area", string="New Area", domain="[('company_id', '=', company_id)]"
    )
    refund_mode = fields.Selection(
        [("balance", "Keep on the balance"), ("payout", "Pay out")], default="balance"
    )
    credit_limit = fields.Monetary()

    @api.model
    def default_get(self, fields_list):
        vals = super().default_get(fields_list)
        if (
            not vals.get("subscriber_id")
            and self.env.context.get("active_model") == "zm.subscriber"
        ):
            vals["subscriber_id"] = self.env.context.get("active_id")
        return vals

    def action_confirm(self):
        """Run the transaction and show the order it wrote."""
        self.ensure_one()
        account = self.subscriber_id
        kind = self.kind
        if kind == "open":
            order = account.action_open(
                self.periods, self.amount, self.journal_id.id, self.apply_promotion
            )
        elif kind == "topup":
            order = account.action_topup(self.amount, self.journal_id.id)
        elif kind == "renew":
            order = account.action_renew(self.periods, self.apply_promotion)
        elif kind == "buy_package":
            order = account.action_buy_package(
                self.package_id.id, self.periods, self.apply_promotion
            )
        elif kind == "addon_package":
            order = account.action_addon_package(self.package_id.id, self.periods)
        elif kind == "move":
            order = account.action_move_area(self.area_id.id)
        elif kind == "change_package":
            order = account.action_change_package(self.package_id.id, self.periods)
        elif kind == "cancel":
            order = account.action_cancel(self.refund_mode, self.journal_id.id)
        elif kind == "refund":
            order = account.action_refund(self.amount, self.journal_id.id)
        else:
            order = account.action_set_credit(self.credit_limit)
        return {
            "type": "ir.actions.act_window",
            "res_model": "zm.order",
            "res_id": order.id,
            "view_mode": "form",
            "target": "current",
        }
