from odoo import fields, models
from odoo.addons.zm_broadband.tools.fields import guarded_fields
from odoo.exceptions import AccessError


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
    zm_area_id = fields.Many2one(
        "zm.area",
        string="Broadband Area",
        related="zm_order_id.area_id",
        store=True,
        index="btree_not_null",
        help="The area of the order: operators see the charges of their areas.",
    )

    def _zm_guard_fields(self, vals, creating=False):
        """The broadband links of a charge are set by the desk only (as superuser); a new
        record may carry them empty (forms send every field)."""
        if not self.env.su and any(
            fname.startswith("zm_") and (vals[fname] or not creating) for fname in vals
        ):
            raise AccessError(
                self.env._("The broadband fields of a charge are set by the business desk only.")
            )

    def _zm_desk(self):
        """The desk's own charges among these records."""
        return self.sudo().filtered(lambda r: r.zm_order_id or r.zm_subscriber_id)

    def _zm_refuse_edit(self, vals, free=()):
        """A desk charge is written by the desk only (as superuser), but for messages,
        activities and the ``free`` fields Odoo itself keeps up to date."""
        if self.env.su or not self._zm_desk():
            return
        if guarded_fields(vals, free):
            raise AccessError(
                self.env._(
                    "A broadband charge is changed by the business desk only; finance "
                    "rejects its order, which reverses it."
                )
            )

    def _zm_refuse_undo(self):
        """Posted desk charges change only by reversal: the audit rejects them (D2)."""
        if not self.env.su and self.filtered("zm_order_id"):
            raise AccessError(
                self.env._(
                    "A broadband charge is never reset, cancelled or deleted; finance "
                    "rejects its order, which reverses it."
                )
            )
