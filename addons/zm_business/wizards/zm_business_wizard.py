from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.zm_order import ORDER_KINDS
from ..models.zm_subscriber_desk import DESK_JOURNALS

#: the kinds an operator starts from the account form
WIZARD_KINDS = [kind for kind in ORDER_KINDS if kind[0] not in ("pause", "resume", "first_dial")]

#: how money is taken at the counter: the broadband journals (DESIGN §4)
PAYMENT_METHODS = [
    ("cash", "Cash"),
    ("card", "Bank card"),
    ("alipay", "Alipay"),
    ("wechat", "WeChat Pay"),
]


class ZmBusinessWizard(models.TransientModel):
    """One form for the operator's transactions; it only calls ``zm.subscriber.action_*``.

    The account is checked for the operator when the wizard is made or changed, so a
    wizard can never read back another area's account (its balance, expiry, name).
    """

    _name = "zm.business.wizard"
    _description = "Broadband Business Transaction"

    subscriber_id = fields.Many2one("zm.subscriber", string="Account", required=True)
    company_id = fields.Many2one(related="subscriber_id.company_id", compute_sudo=False)
    currency_id = fields.Many2one(related="subscriber_id.currency_id", compute_sudo=False)
    balance = fields.Monetary(related="subscriber_id.balance", compute_sudo=False)
    expiry_at = fields.Datetime(related="subscriber_id.expiry_at", compute_sudo=False)
    kind = fields.Selection(WIZARD_KINDS, required=True)
    amount = fields.Monetary(string="Amount Received")
    payment_method = fields.Selection(PAYMENT_METHODS, default="cash")
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

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards._check_subscriber_access()
        return wizards

    def write(self, vals):
        res = super().write(vals)
        if "subscriber_id" in vals:
            self._check_subscriber_access()
        return res

    def _check_subscriber_access(self):
        # the operator must be allowed to work on the account (area rules), as the
        # desk action itself will check
        for wizard in self:
            wizard.subscriber_id.check_access("write")

    def _journal(self):
        if self.payment_method not in DESK_JOURNALS:
            raise UserError(self.env._("Choose how the money is paid."))
        return self.payment_method

    def action_confirm(self):
        """Run the transaction and show the order it wrote."""
        self.ensure_one()
        account = self.subscriber_id
        kind = self.kind
        if kind == "open":
            journal = self._journal() if self.amount else False
            order = account.action_open(self.periods, self.amount, journal, self.apply_promotion)
        elif kind == "topup":
            order = account.action_topup(self.amount, self._journal())
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
            journal = self._journal() if self.refund_mode == "payout" else False
            order = account.action_cancel(self.refund_mode, journal)
        elif kind == "refund":
            order = account.action_refund(self.amount, self._journal())
        else:
            order = account.action_set_credit(self.credit_limit)
        return {
            "type": "ir.actions.act_window",
            "res_model": "zm.order",
            "res_id": order.id,
            "view_mode": "form",
            "target": "current",
        }
