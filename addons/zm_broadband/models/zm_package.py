from odoo import api, fields, models
from odoo.exceptions import ValidationError

PACKAGE_KINDS = [
    ("year", "Yearly"),
    ("quarter", "Quarterly"),
    ("month", "Monthly"),
    ("day", "Daily"),
    ("hour", "Hourly"),
    ("traffic", "Traffic"),
]

#: Fields mirrored on the package's service product.
PRODUCT_SYNC_FIELDS = {"name", "code", "price", "tax_ids", "company_id", "active", "description"}


class ZmPackage(models.Model):
    """A broadband package (套餐) a subscriber buys (B5).

    Each purchase gives ``period_count`` units of ``kind``. Hourly and traffic packages
    count in quota periods (a day or a month): every period carries its own limit of
    hours or gigabytes and an unused rest does not roll over. Every package sells one
    service product so that invoices, taxes and reports live in Odoo Accounting.
    """

    _name = "zm.package"
    _description = "Broadband Package"
    _inherit = ["mail.thread"]
    _order = "sequence, name"
    _check_company_auto = True
    _rec_names_search = ["name", "code"]

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(tracking=True, help="Short code used in imports and the RADIUS view.")
    sequence = fields.Integer(default=10)
    kind = fields.Selection(PACKAGE_KINDS, required=True, default="month", tracking=True)
    period_mode = fields.Selection(
        [("cycle", "Cycle"), ("natural", "Natural period")],
        required=True,
        default="cycle",
        tracking=True,
        help="Cycle: a period runs from the start moment (e.g. 15th to 15th).\n"
        "Natural: periods follow the calendar in the company's time zone "
        "(00:00-24:00 days, 1st-to-1st months).",
    )
    period_count = fields.Integer(
        string="Units per Purchase",
        required=True,
        default=1,
        help="How many years, quarters, months, days or quota periods one purchase gives.",
    )
    quota_period = fields.Selection(
        [("day", "Per day"), ("month", "Per month")],
        default="month",
        help="Period the time and traffic limits apply to; an unused rest does not "
        "roll over to the next period.",
    )
    quota_hours = fields.Float(string="Hours per Period", help="0 means no time limit.")
    quota_gb = fields.Float(string="Traffic per Period (GB)", help="0 means no traffic limit.")
    price = fields.Monetary(required=True, default=0.0, tracking=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    tax_ids = fields.Many2many(
        "account.tax",
        string="Sales Taxes",
        domain="[('type_tax_use', '=', 'sale')]",
        check_company=True,
    )
    product_id = fields.Many2one(
        "product.product",
        string="Service Product",
        readonly=True,
        copy=False,
        ondelete="restrict",
        index=True,
        help="Created and kept in sync with this package; invoices use it.",
    )
    rate_template_id = fields.Many2one("zm.rate.template", check_company=True, tracking=True)
    area_ids = fields.Many2many(
        "zm.area",
        string="Sold in Areas",
        check_company=True,
        help="Areas (and their sub-areas) where the package is sold; empty means everywhere.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    start_at_first_dial = fields.Boolean(
        help="The first period starts at the first successful login instead of at opening."
    )
    session_limit = fields.Integer(
        string="Concurrent Sessions", default=1, help="Default for new subscribers."
    )
    active = fields.Boolean(default=True, tracking=True)
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_company_uniq", "unique (code, company_id)", "The package code must be unique."),
        ("price_not_negative", "CHECK (price >= 0)", "The price cannot be negative."),
        (
            "quota_not_negative",
            "CHECK (quota_hours >= 0 AND quota_gb >= 0)",
            "Quotas cannot be negative.",
        ),
    ]

    @api.constrains("kind", "quota_hours", "quota_gb", "quota_period", "period_count")
    def _check_quota(self):
        for package in self:
            if package.period_count < 1:
                raise ValidationError(self.env._("Units per purchase must be 1 or more."))
            if package.kind == "hour" and package.quota_hours <= 0:
                raise ValidationError(
                    self.env._("An hourly package needs a number of hours per period.")
                )
            if package.kind == "traffic" and package.quota_gb <= 0:
                raise ValidationError(
                    self.env._("A traffic package needs a traffic volume per period.")
                )
            if (package.quota_hours or package.quota_gb) and not package.quota_period:
                raise ValidationError(
                    self.env._("Choose whether the limits apply per day or per month.")
                )
            if package.quota_hours and package.quota_period == "day" and package.quota_hours > 24:
                raise ValidationError(self.env._("A day has no more than 24 hours."))

    @api.constrains("session_limit")
    def _check_session_limit(self):
        if any(package.session_limit < 1 for package in self):
            raise ValidationError(self.env._("At least one concurrent session is needed."))

    # ------------------------------------------------------------------
    # Service product
    # ------------------------------------------------------------------

    def _prepare_product_vals(self):
        """Return the values of the service product that sells this package."""
        self.ensure_one()
        return {
            "name": self.name,
            "default_code": self.code or False,
            "type": "service",
            "list_price": self.price,
            "taxes_id": [fields.Command.set(self.tax_ids.ids)],
            "supplier_taxes_id": [fields.Command.clear()],
            "sale_ok": True,
            "purchase_ok": False,
            "company_id": self.company_id.id,
            "active": self.active,
            "description_sale": self.description or False,
        }

    def _sync_product(self):
        # the product mirrors the package, so managers need no product rights
        for package in self.sudo():
            vals = package._prepare_product_vals()
            if package.product_id:
                package.product_id.with_context(active_test=False).write(vals)
            else:
                package.product_id = self.env["product.product"].sudo().create(vals)

    def _sync_product_translations(self):
        for package in self.sudo().filtered("product_id"):
            translations = {
                lang: package.with_context(lang=lang).name
                for lang, __ in self.env["res.lang"].get_installed()
            }
            package.product_id.product_tmpl_id.update_field_translations("name", translations)

    @api.model_create_multi
    def create(self, vals_list):
        packages = super().create(vals_list)
        packages._sync_product()
        return packages

    def write(self, vals):
        res = super().write(vals)
        if PRODUCT_SYNC_FIELDS & set(vals):
            self._sync_product()
            if "name" in vals:
                self._sync_product_translations()
        return res

    def unlink(self):
        products = self.sudo().product_id
        res = super().unlink()
        # a product already on journal items must stay; archiving hides it from sales
        used = (
            self.env["account.move.line"]
            .sudo()
            .search([("product_id", "in", products.ids)])
            .product_id
        )
        used.active = False
        (products - used).unlink()
        return res

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for package, vals in zip(self, vals_list):
            vals.setdefault("name", self.env._("%s (copy)", package.name))
            vals["code"] = False
        return vals_list

    # ------------------------------------------------------------------
    # Helpers for the business desk and the RADIUS contract
    # ------------------------------------------------------------------

    def _is_sold_in(self, area):
        """Tell whether this package may be sold to a subscriber of ``area``."""
        self.ensure_one()
        if not self.area_ids:
            return True
        if not area:
            return False
        sold = set(self.area_ids.ids)
        ancestors = {int(x) for x in (area.sudo().parent_path or "").split("/") if x}
        return bool(sold & ancestors)
