from odoo import fields, models


class ZmPackage(models.Model):
    _inherit = "zm.package"

    zm_sms_reminders = fields.Boolean(
        string="SMS Reminders",
        default=True,
        help="Send SMS reminders to the accounts on this package.",
    )
