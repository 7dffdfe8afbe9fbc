from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    zm_area_ids = fields.Many2many(
        "zm.area",
        "zm_area_res_users_rel",
        "user_id",
        "area_id",
        string="Broadband Areas",
        help="Areas (with their sub-areas) whose subscribers this operator may see.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "zm_area_ids" in vals:
            # record rules are cached per user and read these areas
            self.env.registry.clear_cache()
        return res
