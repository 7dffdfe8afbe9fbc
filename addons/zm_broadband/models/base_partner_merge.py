from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Odoo's contact merge would move one account's balance into another's."""

    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        partners = self.env["res.partner"].browse(partner_ids)
        if dst_partner:
            partners |= dst_partner
        if partners._zm_billing():
            partners._zm_refuse()
        return super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
