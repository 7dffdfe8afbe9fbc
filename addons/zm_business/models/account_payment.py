from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    zm_order_id = fields.Many2one(
        "zm.order", string="Broadband Order", index="btree_not_null", copy=False, readonly=True
    )
    zm_subscriber_id = fields.Many2one(
        "zm.subscriber",
        string="Broadband Account",
        index="btree_not_null",
        copy=False,
        readonly=True,
    )
