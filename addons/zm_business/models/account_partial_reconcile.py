from odoo import models


class AccountPartialReconcile(models.Model):
    """Unmatching a payment from an invoice in the invoice's widget deletes the partial:
    on a broadband account's items only the desk does that (by rejecting an order)."""

    _inherit = "account.partial.reconcile"

    def unlink(self):
        (self.sudo().debit_move_id | self.sudo().credit_move_id).with_env(
            self.env
        )._zm_refuse_matching()
        return super().unlink()
