from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zm_auto_renew_hours = fields.Integer(related="company_id.zm_auto_renew_hours", readonly=False)
    zm_contract_liability_account_id = fields.Many2one(
        related="company_id.zm_contract_liability_account_id", readonly=False
    )
    zm_revenue_account_id = fields.Many2one(
        related="company_id.zm_revenue_account_id", readonly=False
    )
    zm_recognition_journal_id = fields.Many2one(
        related="company_id.zm_recognition_journal_id", readonly=False
    )
