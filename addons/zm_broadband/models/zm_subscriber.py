import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from zm_rules.md4 import nt_hash as compute_nt_hash

from ..tools.bounds import (
    NAME_MAX,
    NOTE_MAX,
    check_text,
    normalize_host_ipv4,
    normalize_mac,
    normalize_name,
)
from ..tools.secrets import pop_secrets, write_secrets

SUBSCRIBER_STATES = [
    ("draft", "Not opened"),
    ("waiting", "Waiting for first dial"),
    ("active", "Active"),
    ("paused", "Paused"),
    ("cancelled", "Cancelled"),
]

PROPERTIES = [("normal", "Normal"), ("group", "Group"), ("internal", "Internal")]

ACCESS_TYPES = [("eoc", "EOC"), ("lan", "LAN"), ("ftth", "FTTH"), ("ap", "AP (Wi-Fi)")]

#: Changes of these fields rename the billing partner.
PARTNER_NAME_FIELDS = {"name", "customer_id"}

#: Money and service fields: they change only through the business desk's actions
#: (DESIGN §3), whatever the caller - form, RPC, import.
DESK_FIELDS = frozenset(
    {
        "state",
        "expiry_at",
        "package_id",
        "area_id",
        "partner_id",
        "credit_limit",
        "paused_at",
        "first_dial_at",
        "opened_at",
        "company_id",
    }
)
#: What an operator still chooses on an account that was never opened: nothing is sold.
DRAFT_FIELDS = frozenset({"package_id", "area_id"})
#: Context key of the administrators' explicit, logged import and migration path.
MIGRATION_KEY = "zm_migration"
#: Highest concurrent-session limit (PostgreSQL integer, and sanity).
SESSION_LIMIT_MAX = 10_000


#: written in a statement of their own, never logged (tools/secrets.py)
SECRET_FIELDS = ("password", "nt_hash", "password_crypt")


class ZmSubscriber(models.Model):
    """A broadband account (C1): what a NAS authenticates and an ISP bills.

    The account owns a billing partner of its own (DESIGN §4) so that each account has
    one balance, even when one customer owns hundreds of accounts.
    """

    _name = "zm.subscriber"
    _description = "Broadband Subscriber"
    _inherit = ["mail.thread", "mail.activity.mixin", "zm.status.mixin"]
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
    expiry_at = fields.Datetime(
        string="Expires At", index=True, tracking=True, copy=False, readonly=True
    )
    state = fields.Selection(
        SUBSCRIBER_STATES,
        required=True,
        default="draft",
        index=True,
        tracking=True,
        copy=False,
        readonly=True,
        help="Not opened: created, nothing sold yet. Waiting: paid, the period starts at the "
        "first dial. Changed only by the business desk.",
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
    opened_at = fields.Datetime(copy=False, readonly=True)
    paused_at = fields.Datetime(copy=False, readonly=True)
    first_dial_at = fields.Datetime(copy=False, readonly=True)
    auto_renew = fields.Boolean(help="Renew from the account's balance shortly before expiry.")
    credit_limit = fields.Monetary(
        readonly=True,
        help="How far the account may run on credit; set by an operator with the credit right.",
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
        # a fixed address belongs to one account
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS zm_subscriber_fixed_ip_uniq "
            "ON zm_subscriber (fixed_ip) WHERE fixed_ip IS NOT NULL"
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

    def _check_area_allowed(self, area, user=None):
        """Refuse an area outside ``user``'s areas (default: the current user).

        Record rules only check the record as it was before a write, and the desk runs
        as superuser: a move into an area the operator does not serve needs this check,
        made for the operator whatever the environment. Managers serve every area.
        """
        if not area:
            return
        if user is None:
            if self.env.su:
                return
            user = self.env.user
        if user._is_superuser() or user.has_group("zm_broadband.group_manager"):
            return
        allowed = (
            self.env["zm.area"]
            .sudo()
            .search_count([("id", "=", area.id), ("id", "child_of", user.zm_area_ids.ids)])
        )
        if not allowed:
            raise AccessError(
                self.env._("You cannot put an account in the area %s.", area.sudo().display_name)
            )

    # ------------------------------------------------------------------
    # Money and service fields change only through the desk (DESIGN §3)
    # ------------------------------------------------------------------

    def _zm_desk_fields(self):
        """Fields that change only through the desk; add-ons extend the set."""
        return set(DESK_FIELDS)

    def _zm_changed_fields(self, vals, fnames):
        """The fields of ``fnames`` whose value in ``vals`` differs from some record's."""
        changed = set()
        for fname in fnames:
            field = self._fields[fname]
            for record in self:
                new = field.convert_to_record(field.convert_to_cache(vals[fname], record), record)
                if new != record[fname]:
                    changed.add(fname)
                    break
        return changed

    def _zm_guard_desk_fields(self, vals, creating=False):
        """Refuse a change of money or service fields made outside the desk.

        The desk runs as superuser; an account never opened may still get its package
        and area chosen; system administrators may import or migrate accounts through
        the explicit ``zm_migration`` context, and each such change is logged.
        """
        touched = self._zm_desk_fields() & set(vals)
        if not touched or self.env.su:
            return set()
        if creating:
            # a new account starts not opened; empty values are the defaults
            touched = {
                fname
                for fname in touched - DRAFT_FIELDS - {"company_id"}
                if vals[fname] and not (fname == "state" and vals[fname] == "draft")
            }
        else:
            touched = self.sudo()._zm_changed_fields(vals, touched)
            if touched <= DRAFT_FIELDS and all(s.state == "draft" for s in self.sudo()):
                return set()
        if not touched:
            return set()
        if self.env.context.get(MIGRATION_KEY) and self.env.user.has_group("base.group_system"):
            return touched
        labels = ", ".join(
            sorted(self._fields[f].get_description(self.env)["string"] for f in touched)
        )
        raise AccessError(
            self.env._(
                "%(fields)s of a broadband account change only through the business desk "
                "(open, renew, move, pause, credit...), which records an order.",
                fields=labels,
            )
        )

    def _zm_check_auto_renew(self, vals, creating=False):
        """Auto-renewal spends the balance on renewals: it is the renew right's to set."""
        if "auto_renew" not in vals or self.env.su:
            return
        if creating and not vals["auto_renew"]:
            return
        if not creating and not self.sudo()._zm_changed_fields(vals, {"auto_renew"}):
            return
        if not self.env.user.has_group("zm_broadband.group_right_renew"):
            raise AccessError(self.env._("Turning auto-renewal on or off needs the renew right."))

    def _zm_log_migration(self, fnames, before):
        """Record on each account who imported or migrated which values (before -> after)."""
        for record in self:
            lines = [
                f"{record._fields[f].get_description(self.env)['string']}: "
                f"{before[record.id].get(f) or '-'} -> {record._zm_display_value(f) or '-'}"
                for f in sorted(fnames)
            ]
            record.message_post(
                body=self.env._("Set by import or migration: %s", "; ".join(lines)),
                message_type="notification",
            )

    def _zm_display_value(self, fname):
        value = self[fname]
        if isinstance(value, models.BaseModel):
            return value.display_name
        return str(value) if value not in (False, None) else ""

    # ------------------------------------------------------------------
    # Input bounds
    # ------------------------------------------------------------------

    def _zm_clean_vals(self, vals):
        """Trim, bound and normalise what people type, with clear errors."""
        env = self.env
        if "name" in vals:
            label = env._("The account name")
            vals["name"] = normalize_name(env, vals["name"] or "", label)
            # RADIUS finds the account by the lower-cased name: the bridge lowers what the
            # NAS sends in Python, the database index in PostgreSQL; a name the two lower
            # differently (Turkish dotted İ, Greek final Σ) could never log in
            if vals["name"]:
                self.env.cr.execute(SQL("SELECT lower(%s)", vals["name"]))
                if self.env.cr.fetchone()[0] != vals["name"].lower():
                    raise ValidationError(
                        env._("%s holds letters whose lower case is ambiguous; spell the "
                              "name without them.", label)
                    )  # fmt: skip
            check_text(env, vals["name"], label, NAME_MAX)
        for fname, label in (
            ("phone", env._("The phone")),
            ("bind_nas_ident", env._("The bound NAS")),
        ):
            if vals.get(fname):
                vals[fname] = check_text(env, vals[fname], label, 64).strip()
        for fname in ("password", "new_password"):
            if vals.get(fname):
                check_text(env, vals[fname], env._("The password"), 128)
        if vals.get("note"):
            check_text(env, vals["note"], env._("The note"), NOTE_MAX, multiline=True)
        if "bind_mac" in vals:
            vals["bind_mac"] = normalize_mac(env, vals["bind_mac"])
        if "fixed_ip" in vals:
            vals["fixed_ip"] = normalize_host_ipv4(env, vals["fixed_ip"])
            if vals["fixed_ip"]:
                self.env.cr.execute(
                    SQL(
                        "SELECT 1 FROM zm_subscriber WHERE fixed_ip = %s AND id != ALL(%s)",
                        vals["fixed_ip"],
                        self.ids,
                    )
                )
                if self.env.cr.fetchone() or len(self) > 1:
                    raise ValidationError(
                        env._("The fixed address %s is already another account's.",
                              vals["fixed_ip"])
                    )  # fmt: skip
        limit = vals.get("session_limit")
        if limit is not None and limit is not False:
            if not isinstance(limit, int) or isinstance(limit, bool):
                raise ValidationError(
                    env._("The number of concurrent sessions must be a whole number.")
                )
            if not 1 <= limit <= SESSION_LIMIT_MAX:
                raise ValidationError(
                    env._("Concurrent sessions must be between 1 and %s.", SESSION_LIMIT_MAX)
                )
        return vals

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

    @api.constrains("customer_id")
    def _check_customer(self):
        # a billing partner holds one account's balance; owning accounts is for customers
        for subscriber in self.sudo().filtered("customer_id"):
            if subscriber.customer_id.zm_area_id or subscriber.customer_id.zm_customer_id:
                raise ValidationError(
                    self.env._(
                        "%s is the billing partner of a broadband account; choose the "
                        "customer who owns it.",
                        subscriber.customer_id.display_name,
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
            # area rules on partners follow the account (operators see their areas only)
            "zm_area_id": self.area_id.id,
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
        migrated = []
        for vals in vals_list:
            self._zm_clean_vals(vals)
            migrated.append(self._zm_guard_desk_fields(vals, creating=True))
            self._zm_check_auto_renew(vals, creating=True)
            if vals.get("area_id"):
                self._check_area_allowed(self.env["zm.area"].browse(vals["area_id"]))
        self._check_names_free([vals.get("name") for vals in vals_list])
        secrets = []
        for vals in vals_list:
            self._prepare_password_vals(vals)
            secrets.append(pop_secrets(self, vals, SECRET_FIELDS, creating=True))
            if vals.get("package_id") and "session_limit" not in vals:
                package = self.env["zm.package"].browse(vals["package_id"])
                vals["session_limit"] = package.session_limit or 1
        subscribers = super().create(vals_list)
        for subscriber, secret in zip(subscribers, secrets):
            write_secrets(subscriber.sudo(), secret)
        partners = (
            self.env["res.partner"]
            .sudo()
            .create([subscriber._prepare_partner_vals() for subscriber in subscribers])
        )
        for subscriber, partner in zip(subscribers, partners):
            subscriber.sudo().partner_id = partner
        for subscriber, fnames in zip(subscribers, migrated):
            if fnames:
                subscriber._zm_log_migration(fnames, {subscriber.id: {}})
        return subscribers

    def write(self, vals):
        vals = self._zm_clean_vals(dict(vals))
        migrated = self._zm_guard_desk_fields(vals)
        self._zm_check_auto_renew(vals)
        before = {record.id: {f: record._zm_display_value(f) for f in migrated} for record in self}
        if vals.get("area_id"):
            self._check_area_allowed(self.env["zm.area"].browse(vals["area_id"]))
        if "name" in vals:
            self._check_names_free([vals["name"]] * len(self), self.ids)
        self._prepare_password_vals(vals)
        secrets = pop_secrets(self, vals, SECRET_FIELDS)
        res = super().write(vals) if vals or not secrets else True
        write_secrets(self, secrets)
        if PARTNER_NAME_FIELDS & set(vals) or "phone" in vals or "area_id" in vals:
            for subscriber in self.filtered("partner_id"):
                partner_vals = {
                    "name": subscriber._billing_partner_name(),
                    "zm_customer_id": subscriber.customer_id.id or False,
                    "zm_area_id": subscriber.area_id.id,
                }
                if "phone" in vals:
                    partner_vals["phone"] = subscriber.phone or False
                subscriber.partner_id.sudo().write(partner_vals)
        if migrated:
            self._zm_log_migration(migrated, before)
        return res

    @api.onchange("package_id")
    def _onchange_package_id(self):
        if self.package_id:
            self.session_limit = self.package_id.session_limit or 1

    def action_view_billing_partner(self):
        """Open the account's billing partner."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }
