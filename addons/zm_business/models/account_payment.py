from odoo import api, models


class AccountPayment(models.Model):
    """Broadband payments (D1): like their journal entries, changed only by reversal."""

    _name = "account.payment"
    _inherit = ["account.payment", "zm.charge.mixin"]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._zm_guard_fields(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._zm_guard_fields(vals)
        self._zm_refuse_edit(vals)
        return super().write(vals)

    def action_reject(self):
        self._zm_refuse_undo()
        return super().action_reject()

    def action_draft(self):
        self._zm_refuse_undo()
        return super().action_draft()

    def action_cancel(self):
        self._zm_refuse_undo()
        return super().action_cancel()

    def unlink(self):
        self._zm_refuse_undo()
        return super().unlink()
