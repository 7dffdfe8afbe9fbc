from odoo import fields, models

VENDORS = [
    ("standard", "Standard RADIUS"),
    ("huawei", "Huawei"),
    ("h3c", "H3C"),
    ("zte", "ZTE"),
    ("ruijie", "Ruijie"),
    ("maipu", "Maipu"),
    ("cisco", "Cisco"),
    ("mikrotik", "MikroTik"),
]


class ZmRateTemplateProfile(models.Model):
    """A vendor's own profile name for a rate template (B4)."""

    _name = "zm.rate.template.profile"
    _description = "Rate Template Vendor Profile"
    _order = "template_id, vendor"

    template_id = fields.Many2one("zm.rate.template", required=True, ondelete="cascade", index=True)
    vendor = fields.Selection(VENDORS, required=True)
    profile_name = fields.Char(required=True)
    company_id = fields.Many2one(related="template_id.company_id", store=True)

    _sql_constraints = [
        (
            "vendor_uniq",
            "unique (template_id, vendor)",
            "A rate template has one profile per vendor.",
        ),
    ]
