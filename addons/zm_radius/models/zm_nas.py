from odoo import api, fields, models
from odoo.addons.zm_broadband.tools.bounds import check_text, normalize_ip
from odoo.addons.zm_broadband.tools.fields import guarded_fields
from odoo.addons.zm_broadband.tools.secrets import pop_secrets, write_secrets
from odoo.exceptions import AccessError, ValidationError

from zm_rules.contract import VENDORS

#: what anyone who may edit a NAS may change of a shared one; everything else (address,
#: identifier, secret, company, enabled, vendor, CoA port, Message-Authenticator rule, realm
#: stripping) is what it is for every company's subscribers
SHARED_FREE = frozenset(("name", "note", "area_id"))

VENDOR_LABELS = {"standard": "Standard RADIUS (WISPr)", "mikrotik": "MikroTik", "huawei": "Huawei"}


class ZmNas(models.Model):
    """A NAS (BRAS, PPPoE gateway, hotspot) that asks the RADIUS bridge (B3).

    Recognised by its source IP or, without a fixed address, by its NAS-Identifier; the
    shared secret is readable by managers only and never logged. An edit reaches the
    bridge's answers within a second (the bridge polls the ``nas`` view's fingerprint).
    """

    _name = "zm.nas"
    _description = "Broadband NAS"
    _inherit = ["mail.thread"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    vendor = fields.Selection(
        [(v, VENDOR_LABELS.get(v, v)) for v in VENDORS],
        required=True,
        default="standard",
        tracking=True,
        help="Decides which rate attributes go in each Access-Accept.",
    )
    ip = fields.Char(
        string="Source IP",
        tracking=True,
        index=True,
        help="Address the NAS sends RADIUS from. Leave empty for a NAS without a fixed "
        "address: it is then recognised by its NAS-Identifier, and always has to sign its "
        "requests with Message-Authenticator.",
    )
    nas_identifier = fields.Char(string="NAS-Identifier", tracking=True, index=True)
    secret = fields.Char(
        string="Shared Secret",
        required=True,
        copy=False,
        groups="zm_broadband.group_manager",
        help="The RADIUS shared secret configured on the NAS.",
    )
    coa_port = fields.Integer(
        string="CoA Port", default=3799, help="Dynamic-authorisation port (RFC 5176)."
    )
    area_id = fields.Many2one(
        "zm.area", index=True, check_company=True, tracking=True, help="Area the NAS serves."
    )
    require_message_authenticator = fields.Boolean(
        default=True,
        tracking=True,
        help="Drop Access-Requests without Message-Authenticator (BlastRADIUS). Turn off only "
        "for old devices at a fixed address; a NAS known by NAS-Identifier always needs it.",
    )
    strip_realm = fields.Boolean(
        help="Strip @realm from the User-Name before looking the account up."
    )
    active = fields.Boolean(
        string="Enabled", default=True, tracking=True, help="A disabled NAS is an unknown client."
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
        help="The company owning the NAS: it lets only this company's subscribers online, "
        "unless shared with all companies.",
    )
    serve_all_companies = fields.Boolean(
        tracking=True,
        copy=False,
        help="Let the subscribers of every company online through this NAS (a BRAS shared "
        "by the companies of one group). Off: only its own company's subscribers.",
    )
    note = fields.Text()

    _sql_constraints = [
        ("ip_uniq", "unique (ip)", "Another NAS already uses this source IP."),
        (
            "identifier_uniq",
            "unique (nas_identifier)",
            "Another NAS already uses this NAS-Identifier.",
        ),
        (
            "coa_port_range",
            "CHECK (coa_port > 0 AND coa_port < 65536)",
            "The CoA port must be between 1 and 65535.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        # the secret is written apart: a refused INSERT is logged with its values
        # judged as new NAS, whatever ``self`` is (``copy`` creates through the original)
        vals_list = [self.browse()._clean(dict(vals)) for vals in vals_list]
        secrets = [pop_secrets(self, vals, ("secret",), creating=True) for vals in vals_list]
        nas = super().create(vals_list)
        for record, secret in zip(nas, secrets):
            write_secrets(record, secret)
        # a constraint runs only for the fields given: a NAS given neither is checked too
        nas._check_recognisable()
        return nas

    def write(self, vals):
        vals = self._clean(dict(vals))
        secrets = pop_secrets(self, vals, ("secret",))
        res = super().write(vals) if vals or not secrets else True
        write_secrets(self, secrets)
        return res

    def _clean(self, vals):
        env = self.env
        self._check_company_rights(vals)
        if "ip" in vals:
            vals["ip"] = normalize_ip(env, vals["ip"])
        for fname, label, size in (
            ("name", env._("The name"), 128),
            ("nas_identifier", env._("The NAS-Identifier"), 253),
            ("secret", env._("The shared secret"), 128),
        ):
            if vals.get(fname):
                check_text(env, vals[fname], label, size)
        return vals

    def _check_company_rights(self, vals):
        """Whose subscribers a NAS serves is a right over those companies: a NAS goes only
        to a company of the user's own, and only a user of every company (archived ones
        too) shares one with them all, stops sharing it, or changes what a shared one is
        (its address, identifier, secret, company, whether it is enabled)."""
        if self.env.su:
            return
        user = self.env.user
        if vals.get("company_id") and vals["company_id"] not in user.company_ids.ids:
            raise AccessError(self.env._("A NAS can only belong to one of your own companies."))
        if self:  # a change
            sharing = "serve_all_companies" in vals and any(
                nas.serve_all_companies != bool(vals["serve_all_companies"]) for nas in self
            )
            if guarded_fields(vals, SHARED_FREE) and self.filtered("serve_all_companies"):
                sharing = True
        else:  # a new NAS
            sharing = bool(vals.get("serve_all_companies"))
        if sharing:
            self._check_user_of_every_company()

    def _check_user_of_every_company(self):
        companies = self.env["res.company"].sudo().with_context(active_test=False).search([])
        if companies - self.env.user.company_ids:
            raise AccessError(
                self.env._(
                    "Only a user of every company may share a NAS with all companies, stop "
                    "sharing it, or change or delete a shared NAS."
                )
            )

    def unlink(self):
        if not self.env.su and self.filtered("serve_all_companies"):
            self._check_user_of_every_company()
        return super().unlink()

    @api.constrains("serve_all_companies", "ip")
    def _check_shared_has_ip(self):
        # the bridge knows a NAS by its source IP first: a shared NAS known only by its
        # NAS-Identifier would lose its traffic to any NAS made later at that address
        for nas in self:
            if nas.serve_all_companies and not nas.ip:
                raise ValidationError(
                    self.env._("A NAS shared with all companies needs its fixed source IP.")
                )

    @api.constrains("ip", "nas_identifier")
    def _check_recognisable(self):
        for nas in self:
            if not nas.ip and not nas.nas_identifier:
                raise ValidationError(
                    self.env._("Give the NAS a source IP or a NAS-Identifier to know it by.")
                )
