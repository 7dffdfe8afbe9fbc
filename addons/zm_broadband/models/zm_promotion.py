from odoo import api, fields, models
from odoo.exceptions import ValidationError

BONUS_TYPES = [
    ("years", "Extra years"),
    ("months", "Extra months"),
    ("days", "Extra days"),
    ("hours", "Extra hours"),
    ("traffic_gb", "Extra traffic (GB)"),
    ("money_off", "Money off"),
]


class ZmPromotion(models.Model):
    """Buy N periods of a package, get a bonus (B6)."""

    _name = "zm.promotion"
    _description = "Broadband Promotion"
    _order = "date_from desc, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    package_ids = fields.Many2many(
        "zm.package",
        string="Packages",
        check_company=True,
        help="Packages the promotion applies to; empty means all packages.",
    )
    buy_count = fields.Integer(
        string="Buy (units)", required=True, default=1, help="Units of the package bought at once."
    )
    bonus_type = fields.Selection(BONUS_TYPES, required=True, default="months")
    bonus_value = fields.Float(required=True, default=1.0)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(string="Valid From")
    date_to = fields.Date(string="Valid To")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    note = fields.Text()

    @api.constrains("buy_count", "bonus_value", "date_from", "date_to")
    def _check_values(self):
        for promotion in self:
            if promotion.buy_count < 1:
                raise ValidationError(self.env._("Buy at least one unit."))
            if promotion.bonus_value <= 0:
                raise ValidationError(self.env._("The bonus must be positive."))
            if (
                promotion.date_from
                and promotion.date_to
                and promotion.date_from > promotion.date_to
            ):
                raise ValidationError(self.env._("The promotion cannot end before it starts."))

    def _is_applicable(self, package, units, date):
        """Tell whether buying ``units`` of ``package`` on ``date`` earns this promotion."""
        self.ensure_one()
        return (
            self.active
            and (not self.package_ids or package in self.package_ids)
            and units >= self.buy_count
            and (not self.date_from or self.date_from <= date)
            and (not self.date_to or date <= self.date_to)
        )
