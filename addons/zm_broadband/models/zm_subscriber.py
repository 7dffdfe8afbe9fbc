import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from zm_rules.md4 import nt_hash as compute_nt_hash

from ..tools.expiry import DEFAULT_EXPIRING_DAYS, EXPIRY_STATES, STORED_STATES, expiry_state_sql

SUBSCRIBER_STATES = [
    ("waiting", "Waiting for first dial"),
    ("active", "Active"),
    ("paused", "Paused"),
    ("cancelled", "Cancelled"),
]

PROPERTIES = [("normal", "Normal"), ("group", "Group"), ("internal", "Internal")]

ACCESS_TYPES = [("eoc", "EOC"), ("lan", "LAN"), ("ftth", "FTTH"), ("ap", "AP (Wi-Fi)")]

#: Changes of these fields rename the billing partner.
PARTNER_NAME_FIELDS = {"name", "customer_id"}


class ZmSubscriber(models.Model):
    """A broadband account (C1): what a NAS authenticates and an ISP bills.

    The account owns a billing partner of its own (DESIGN §4) so that each account has
    one balance, even when one customer owns hundreds of accounts.
    """

    _name = "zm.subscriber"
    _description = "Broadband Subscriber"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"
    _check_company_auto = True
    _rec_names_search = ["name", "phone"]

    name = fields.Char(
        string="Account",
        required=True,
        index=True,
        tracking=True,
        copy=False,
        help="The login name (phone, room, ID or student number); unique, case ignored.",
    )
    password = fields.Char(
        copy=False,
        groups="zm_broadband.group_manager",
        help="Cleartext password, needed for CHAP and MS-CHAPv2.",
    )
    nt_hash = fields.Char(
        string="NT Hash",
        copy=False,
        groups="zm_broadband.group_manager",
        help="MD4 of the UTF-16LE password; set from the password, or imported alone "
        "from another system (then only PAP and MS-CHAP work).",
    )
    new_password = fields.Char(
        string="Set Password",
        compute="_compute_new_password",
        inverse="_inverse_new_password",
        copy=False,
        help="Type a new password; it is stored and never shown again to operators.",
    )
    has_password = fields.Boolean(compute="_compute_has_password")
    property = fields.Selection(PROPERTIES, required=True, default="normal", tracking=True)
    access_type = fields.Selection(ACCESS_TYPES, default="ftth", tracking=True)
    area_id = fields.Many2one(
        "zm.area", required=True, index=True, tracking=True, check_company=True
    )
    package_id = fields.Many2one(
        "zm.package",
        index=True,
        tracking=True,
        check_company=True,
        ondelete="restrict",
    )
    rate_template_id = fields.Many2one(related="package_id.rate_template_id")
    expiry_at = fields.Datetime(string="Expires At", index=True, tracking=True, copy=False)
    state = fields.Selection(
        SUBSCRIBER_STATES,
        required=True,
        default="active",
        index=True,
        tracking=True,
        copy=False,
    )
    expiry_state = fields.Selection(
        EXPIRY_STATES,
        string="Status",
        compute="_compute_expiry_state",
        search="_search_expiry_state",
        help="Derived from the state, the expiry date and the company's expiring window.",
    )
    customer_id = fields.Many2one(
        "res.partner",
        domain="[('zm_customer_id', '=', False)]",
        index=True,
        tracking=True,
        check_company=True,
        help="Person or company that owns the account.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Billing Partner",
        readonly=True,
        copy=False,
        index=True,
        ondelete="restrict",
        help="The account's own commercial partner: its invoices, payments and balance.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    phone = fields.Char(tracking=True)
    session_limit = fields.Integer(string="Concurrent Sessions", default=1)
    fixed_ip = fields.Char(string="Fixed IP", tracking=True)
    bind_mac = fields.Char(string="Bound MAC", tracking=True)
    bind_nas_ident = fields.Char(
        string="Bound NAS",
        tracking=True,
        help="NAS IP address or NAS-Identifier the account is bound to.",
    )
    opened_at = fields.Datetime(default=fields.Datetime.now, copy=False)
    paused_at = fields.Datetime(copy=False)
    first_dial_at = fields.Datetime(copy=False, readonly=True)
    auto_renew = fields.Boolean(help="Renew from the account's balance shortly before expiry.")
    credit_limit = fields.Monetary(
        help="How far the account may run on credit; set by an operator with the credit right."
    )
    note = fields.Text()

    _sql_constraints = [
        (
            "session_limit_positive",
            "CHECK (session_limit >= 1)",
            "At least one concurrent session is needed.",
        ),
        (
            "credit_limit_not_negative",
            "CHECK (credit_limit >= 0)",
            "The credit limit cannot be negative.",
        ),
    ]

    def init(self):
        # RADIUS looks accounts up by name regardless of case, so the database enforces it
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS zm_subscriber_name_lower_uniq "
            "ON zm_subscriber (lower(name))"
        )
        # lists filter by area and derived status: the status search is range conditions
        # on these columns, so PostgreSQL answers from the index without the heap
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS zm_subscriber_area_state_expiry_idx "
            "ON zm_subscriber (area_id, state, expiry_at) INCLUDE (company_id)"
        )

    # ------------------------------------------------------------------
    # Passwords
    # ------------------------------------------------------------------

    def _compute_new_password(self):
        self.new_password = False

    def _inverse_new_password(self):
        for subscriber in self.filtered("new_password"):
            subscriber.sudo().password = subscriber.new_password
        # write-only: never keep the typed password in the cache
        self.invalidate_recordset(["new_password"])

    def _compute_has_password(self):
        for subscriber in self:
            secret = subscriber.sudo()
            subscriber.has_password = bool(secret.password or secret.nt_hash)

    @api.model
    def _prepare_password_vals(self, vals):
        """Add the NT hash derived from a password being written."""
        if "password" in vals and "nt_hash" not in vals:
            password = vals["password"]
            vals["nt_hash"] = compute_nt_hash(password).hex() if password else False
        if vals.get("nt_hash"):
            vals["nt_hash"] = vals["nt_hash"].strip().lower()
            if not re.fullmatch(r"[0-9a-f]{32}", vals["nt_hash"]):
                raise ValidationError(self.env._("An NT hash is 32 hexadecimal digits."))
        return vals

    # ------------------------------------------------------------------
    # Derived status
    # ------------------------------------------------------------------

    @api.depends("state", "expiry_at", "company_id.zm_expiring_days")
    def _compute_expiry_state(self):
        saved = self.filtered("id")
        if saved:
            self.flush_recordset(["state", "expiry_at", "company_id"])
            self.env["res.company"].flush_model(["zm_expiring_days"])
            rows = self.env.execute_query(
                SQL(
                    "SELECT s.id, %s FROM zm_subscriber s WHERE s.id IN %s",
                    expiry_state_sql("s"),
                    tuple(saved.ids),
                )
            )
            states = dict(rows)
            for subscriber in saved:
                subscriber.expiry_state = states.get(subscriber.id, False)
        for subscriber in self - saved:
            subscriber.expiry_state = subscriber._expiry_state_python()

    def _expiry_state_python(self):
        # only for unsaved records in forms; saved ones use the SQL expression
        if self.state in ("waiting", "paused", "cancelled"):
            return self.state
        if not self.expiry_at:
            return "normal"
        now = fields.Datetime.now()
        if self.expiry_at <= now:
            return "expired"
        days = self.company_id.zm_expiring_days
        return "expiring" if (self.expiry_at - now).total_seconds() <= days * 86400 else "normal"

    def _search_expiry_state(self, operator, value):
        if operator in ("=", "!="):
            values = [value]
        elif operator in ("in", "not in"):
            values = list(value)
        else:
            raise ValidationError(self.env._("Unsupported search on the status: %s", operator))
        if operator in ("!=", "not in"):
            # the status is never empty, so a negation is the other statuses
            values = [status for status, __ in EXPIRY_STATES if status not in values]
        # in display order; an unknown status matches nothing
        values = [status for status, __ in EXPIRY_STATES if status in values]
        clock = self._expiry_state_clock() if set(values) - set(STORED_STATES) else None
        domains = [self._expiry_state_domain(status, clock) for status in values]
        return expression.OR(domains or [expression.FALSE_DOMAIN])

    def _expiry_state_domain(self, status, clock):
        """Plain conditions on state / expiry_at / company_id equal to ``expiry_state_sql``.

        The CASE expression cannot use an index; these ranges can. ``now`` is the
        database's transaction clock, the one the CASE expression reads, so search and
        group-by agree; each company's window gives one branch per distinct length.
        """
        if status in STORED_STATES:
            return [("state", "=", status)]
        now, windows = clock
        if status == "expired":
            return [("state", "=", "active"), ("expiry_at", "<=", now)]
        if status == "expiring":
            branches = [
                [("company_id", "in", ids), ("expiry_at", "<=", now + timedelta(days=days))]
                for days, ids in windows
            ]
            return expression.AND(
                [[("state", "=", "active"), ("expiry_at", ">", now)], expression.OR(branches)]
            )
        branches = [
            [("company_id", "in", ids), ("expiry_at", ">", max(now, now + timedelta(days=days)))]
            for days, ids in windows
        ]
        return expression.AND(
            [
                [("state", "=", "active")],
                expression.OR([[("expiry_at", "=", False)], *branches]),
            ]
        )

    def _expiry_state_clock(self):
        """Return the database's ``now`` (UTC) and ``[(window days, company ids)]``."""
        self.env["res.company"].flush_model(["zm_expiring_days"])
        rows = self.env.execute_query(
            SQL(
                """SELECT now() AT TIME ZONE 'UTC', COALESCE(zm_expiring_days, %s), array_agg(id)
                     FROM res_company GROUP BY 2 ORDER BY 2""",
                DEFAULT_EXPIRING_DAYS,
            )
        )
        return rows[0][0], [(days, ids) for __, days, ids in rows]

    def _read_group_groupby(self, groupby_spec, query):
        if groupby_spec != "expiry_state":
            return super()._read_group_groupby(groupby_spec, query)
        self.check_field_access_rights("read", ["expiry_state"])
        self.env["zm.subscriber"].flush_model(["state", "expiry_at", "company_id"])
        self.env["res.company"].flush_model(["zm_expiring_days"])
        return expiry_state_sql(query.table)

    def _read_group_orderby(self, order, groupby_terms, query):
        if "expiry_state" in groupby_terms:
            # groups follow the selection (normal before expiring before expired),
            # not the alphabet
            groupby_terms = dict(groupby_terms)
            groupby_terms["expiry_state"] = SQL(
                "array_position(%s, %s::text)",
                [value for value, __ in EXPIRY_STATES],
                groupby_terms["expiry_state"],
            )
        return super()._read_group_orderby(order, groupby_terms, query)

    # ------------------------------------------------------------------
    # Account name
    # ------------------------------------------------------------------

    @api.model
    def _check_names_free(self, names, exclude_ids=()):
        """Refuse account names already used, ignoring case, with a readable message.

        Runs before the INSERT / UPDATE: the unique index on lower(name) would
        otherwise stop it first with a bare database error.
        """
        seen = {}
        for name in names:
            if not name or not name.strip():
                raise ValidationError(self.env._("The account name cannot be empty."))
            if name.lower() in seen:
                raise ValidationError(self.env._("The account name %s is given twice.", name))
            seen[name.lower()] = name
        self.flush_model(["name"])
        rows = self.env.execute_query(
            SQL(
                "SELECT name FROM zm_subscriber WHERE lower(name) IN %s AND id NOT IN %s",
                tuple(seen),
                tuple(exclude_ids) or (0,),
            )
        )
        if rows:
            taken = rows[0][0]
            raise ValidationError(
                self.env._(
                    "The account name %(name)s is already used by %(other)s "
                    "(account names ignore upper and lower case).",
                    name=seen[taken.lower()],
                    other=taken,
                )
            )

    def _check_area_allowed(self, area):
        """Refuse an area outside the current operator's areas (record rules only
        check the record before a write, so a move out of one's areas needs this)."""
        if self.env.su or self.env.user.has_group("zm_broadband.group_manager") or not area:
            return
        allowed = (
            self.env["zm.area"]
            .sudo()
            .search_count([("id", "=", area.id), ("id", "child_of", self.env.user.zm_area_ids.ids)])
        )
        if not allowed:
            raise AccessError(
                self.env._("You cannot put an account in the area %s.", area.sudo().display_name)
            )

    @api.constrains("package_id", "area_id")
    def _check_package_area(self):
        for subscriber in self:
            package = subscriber.package_id
            if package and not package.sudo()._is_sold_in(subscriber.area_id):
                raise ValidationError(
                    self.env._(
                        "The package %(package)s is not sold in the area %(area)s.",
                        package=package.display_name,
                        area=subscriber.area_id.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # Billing partner
    # ------------------------------------------------------------------

    def _prepare_partner_vals(self):
        """Return the values of the account's own billing partner."""
        self.ensure_one()
        customer = self.customer_id
        vals = {
            "name": self._billing_partner_name(),
            "parent_id": False,
            "is_company": False,
            "type": "contact",
            "zm_customer_id": customer.id or False,
            "company_id": self.company_id.id,
            "phone": self.phone or customer.phone or False,
            "email": customer.email or False,
        }
        if customer.lang:
            vals["lang"] = customer.lang
        for fname in ("street", "street2", "zip", "city", "state_id", "country_id", "vat"):
            vals[fname] = customer[fname].id if fname.endswith("_id") else customer[fname]
        return vals

    def _billing_partner_name(self):
        self.ensure_one()
        if self.customer_id:
            return f"{self.name} ({self.customer_id.name})"
        return self.name

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name"):
                vals["name"] = vals["name"].strip()
        self._check_names_free([vals.get("name") for vals in vals_list])
        for vals in vals_list:
            self._prepare_password_vals(vals)
            if vals.get("package_id"):
                package = self.env["zm.package"].browse(vals["package_id"])
                if "session_limit" not in vals:
                    vals["session_limit"] = package.session_limit or 1
                if "state" not in vals and package.start_at_first_dial:
                    # B10: the first period starts when the account first logs in
                    vals["state"] = "waiting"
        subscribers = super().create(vals_list)
        partners = (
            self.env["res.partner"]
            .sudo()
            .create([subscriber._prepare_partner_vals() for subscriber in subscribers])
        )
        for subscriber, partner in zip(subscribers, partners):
            subscriber.sudo().partner_id = partner
        return subscribers

    def write(self, vals):
        if vals.get("area_id"):
            self._check_area_allowed(self.env["zm.area"].browse(vals["area_id"]))
        if "name" in vals:
            vals["name"] = (vals["name"] or "").strip()
            self._check_names_free([vals["name"]] * len(self), self.ids)
        self._prepare_password_vals(vals)
        res = super().write(vals)
        if PARTNER_NAME_FIELDS & set(vals) or "phone" in vals:
            for subscriber in self.filtered("partner_id"):
                partner_vals = {
                    "name": subscriber._billing_partner_name(),
                    "zm_customer_id": subscriber.customer_id.id or False,
                }
                if "phone" in vals:
                    partner_vals["phone"] = subscriber.phone or False
                subscriber.partner_id.sudo().write(partner_vals)
        return res

    @api.onchange("package_id")
    def _onchange_package_id(self):
        if self.package_id:
            self.session_limit = self.package_id.session_limit or 1

    def action_view_billing_partner(self):
        """Open the account's billing partner."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }
