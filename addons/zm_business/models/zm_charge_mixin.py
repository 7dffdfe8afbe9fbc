from odoo import fields, models


class ZmChargeMixin(models.AbstractModel):
    """What ties a journal entry or a payment to the broadband order that made it (D1)."""

    _name = "zm.charge.mixin"
    _description = "Broadband Charge Link"

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
