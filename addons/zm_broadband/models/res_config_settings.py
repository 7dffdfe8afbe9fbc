from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zm_expiring_days = fields.Integer(related="company_id.zm_expiring_days", readonly=False)
    zm_tz = fields.Selection(related="company_id.zm_tz", readonly=False)
