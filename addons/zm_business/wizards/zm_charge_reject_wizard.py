from odoo import api, fields, models


class ZmChargeRejectWizard(models.TransientModel):
    """Finance rejects orders with a reason: their charges are reversed (D2)."""

    _name = "zm.charge.reject.wizard"
    _description = "Reject Broadband Charges"

    order_ids = fields.Many2many("zm.order", string="Orders", required=True)
    reason = fields.Char(required=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        self.env["zm.order"]._zm_check_auditor()
        wizards.order_ids.check_access("read")
        return wizards

    def action_confirm(self):
        """Reject the orders and close the dialog."""
        self.ensure_one()
        self.order_ids.action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
