from odoo import fields, models


class ZmArea(models.Model):
    _inherit = "zm.area"

    zm_sms_reminders = fields.Boolean(
        string="SMS Reminders",
        default=True,
        help="Send SMS reminders to the accounts of this area and its sub-areas.",
    )
