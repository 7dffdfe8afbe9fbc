from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ZmArea(models.Model):
    """A service area; operators, packages and subscribers belong to areas (B2)."""

    _name = "zm.area"
    _description = "Broadband Area"
    _parent_name = "parent_id"
    _parent_store = True
    _rec_name = "complete_name"
    _order = "complete_name"
    _rec_names_search = ["complete_name", "code"]
    _check_company_auto = True

    name = fields.Char(required=True)
    code = fields.Char(help="Short code used in reports and imports; unique per company.")
    complete_name = fields.Char(
        compute="_compute_complete_name", recursive=True, store=True, index=True
    )
    parent_id = fields.Many2one(
        "zm.area",
        string="Parent Area",
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    child_ids = fields.One2many("zm.area", "parent_id", string="Sub-areas")
    parent_path = fields.Char(index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    note = fields.Text()
    subscriber_count = fields.Integer(compute="_compute_subscriber_count")

    _sql_constraints = [
        ("code_company_uniq", "unique (code, company_id)", "The area code must be unique."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        areas = super().create(vals_list)
        # a company's first area makes it a broadband company: it gets the payment journals
        for company in areas.company_id.filtered("chart_template"):
            self.env["account.chart.template"]._zm_load_journals(company)
        return areas

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for area in self:
            if area.parent_id:
                area.complete_name = f"{area.parent_id.complete_name} / {area.name}"
            else:
                area.complete_name = area.name

    def _compute_subscriber_count(self):
        subscribers = self.env["zm.subscriber"]
        for area in self:
            area.subscriber_count = (
                subscribers.search_count([("area_id", "child_of", area.id)]) if area.id else 0
            )

    @api.constrains("parent_id")
    def _check_parent_id(self):
        if self._has_cycle():
            raise ValidationError(self.env._("An area cannot be its own ancestor."))

    def action_view_subscribers(self):
        """Open the subscribers of this area and of its sub-areas."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("zm_broadband.zm_subscriber_action")
        action["domain"] = [("area_id", "child_of", self.id)]
        action["context"] = {"default_area_id": self.id}
        return action
