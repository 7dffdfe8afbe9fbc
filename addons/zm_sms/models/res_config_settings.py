from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zm_sms_expiring_days = fields.Integer(related="company_id.zm_sms_expiring_days", readonly=False)
    zm_sms_quiet_start = fields.Float(related="company_id.zm_sms_quiet_start", readonly=False)
    zm_sms_quiet_end = fields.Float(related="company_id.zm_sms_quiet_end", readonly=False)
    zm_sms_foreign_numbers = fields.Boolean(
        related="company_id.zm_sms_foreign_numbers", readonly=False
    )
