from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ZmRateTemplate(models.Model):
    """Upload / download rates and bursts a NAS enforces for an account (B4)."""

    _name = "zm.rate.template"
    _description = "Broadband Rate Template"
    _order = "down_kbps, up_kbps, name"

    name = fields.Char(required=True)
    up_kbps = fields.Integer(string="Upload (kbit/s)", required=True)
    down_kbps = fields.Integer(string="Download (kbit/s)", required=True)
    burst_up_kbps = fields.Integer(string="Burst upload (kbit/s)", help="Leave 0 for no burst.")
    burst_down_kbps = fields.Integer(string="Burst download (kbit/s)", help="Leave 0 for no burst.")
    profile_ids = fields.One2many(
        "zm.rate.template.profile",
        "template_id",
        string="Vendor Profiles",
        copy=True,
        help="Name of a profile (QoS policy, user group) already defined on the NAS; when "
        "set, the vendor's own profile attribute is sent instead of rate attributes.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)

    @api.constrains("up_kbps", "down_kbps", "burst_up_kbps", "burst_down_kbps")
    def _check_rates(self):
        for template in self:
            if template.up_kbps <= 0 or template.down_kbps <= 0:
                raise ValidationError(self.env._("Rates must be positive."))
            if template.burst_up_kbps and template.burst_up_kbps < template.up_kbps:
                raise ValidationError(
                    self.env._("The burst upload rate must not be lower than the upload rate.")
                )
            if template.burst_down_kbps and template.burst_down_kbps < template.down_kbps:
                raise ValidationError(
                    self.env._("The burst download rate must not be lower than the download rate.")
                )

    def _zm_profile_name(self, vendor):
        """Return the profile name configured for ``vendor``, or False."""
        self.ensure_one()
        return self.profile_ids.filtered(lambda p: p.vendor == vendor)[:1].profile_name or False
