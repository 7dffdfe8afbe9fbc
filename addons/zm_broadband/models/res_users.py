from odoo import api, fields, models


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
    zm_right_ids = fields.Many2many(
        "res.groups",
        string="Business Rights",
        compute="_compute_zm_right_ids",
        inverse="_inverse_zm_right_ids",
        domain=lambda self: [("category_id", "=", self._zm_rights_category().id)],
        help="What the operator may do at the desk, in their areas: open, top up, renew...",
    )

    @api.model
    def _zm_rights_category(self):
        return self.env.ref("zm_broadband.module_category_broadband_rights")

    @api.depends("groups_id")
    def _compute_zm_right_ids(self):
        category = self._zm_rights_category()
        for user in self:
            user.zm_right_ids = user.groups_id.filtered(lambda g: g.category_id == category)

    def _inverse_zm_right_ids(self):
        # the same check as for any change of a user's groups (Access Rights)
        category = self._zm_rights_category()
        for user in self:
            current = user.groups_id.filtered(lambda g: g.category_id == category)
            wanted = user.zm_right_ids.filtered(lambda g: g.category_id == category)
            commands = [fields.Command.unlink(g.id) for g in current - wanted]
            commands += [fields.Command.link(g.id) for g in wanted - current]
            if commands:
                user.write({"groups_id": commands})

    def write(self, vals):
        res = super().write(vals)
        if "zm_area_ids" in vals:
            # record rules are cached per user and read these areas
            self.env.registry.clear_cache()
        return res
