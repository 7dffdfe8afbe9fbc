import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

PURPOSES = [
    ("opened", "Account opened"),
    ("expiring", "About to expire"),
    ("expired", "Expired"),
    ("renewed", "Renewed"),
    ("verification", "Verification code"),
    ("generic", "Other Odoo SMS"),
]
#: the values a template may use, filled from the account (zm.sms.message._zm_values)
VARIABLES = ("account", "package", "expiry", "days", "code", "content")
#: what each purpose can fill
PURPOSE_VARIABLES = {
    "opened": {"account", "package", "expiry"},
    "expiring": {"account", "package", "expiry", "days"},
    "expired": {"account", "package", "expiry"},
    "renewed": {"account", "package", "expiry"},
    "verification": {"code"},
    "generic": {"content"},
}
_PARAM = re.compile(r"^[a-z_]+$")


class ZmSmsTemplate(models.Model):
    """A template the provider approved (模板), for one purpose.

    Chinese providers send approved templates only: the message is the template's id
    and its variables. ``params`` names, in order, the values filled in: Tencent Cloud
    numbers them {1}, {2}, …; Aliyun names them ${account}, ${expiry}, ….
    """

    _name = "zm.sms.template"
    _description = "SMS Template"
    _order = "purpose, id"

    name = fields.Char(required=True)
    provider_id = fields.Many2one("zm.sms.provider", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="provider_id.company_id", store=True, index=True)
    purpose = fields.Selection(PURPOSES, required=True)
    template_code = fields.Char(
        string="Template ID", required=True, help="The provider's id of the approved template."
    )
    params = fields.Char(
        string="Variables",
        required=True,
        default="account,expiry",
        help="The values filled in, in the template's order, separated by commas. "
        "Available: account, package, expiry, days (before expiry), code (verification), content (other Odoo SMS).",
    )
    text = fields.Char(
        string="Wording",
        help="The approved wording with the variables in braces, e.g. 'Account {account} "
        "expires on {expiry}.' Kept in the SMS log; the provider sends its own copy.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "purpose_provider_unique",
            "unique(provider_id, purpose)",
            "A provider has one template per purpose.",
        ),
    ]

    @api.constrains("params", "purpose")
    def _check_params(self):
        for template in self:
            names = template._zm_param_names()
            allowed = PURPOSE_VARIABLES[template.purpose]
            wrong = [name for name in names if not _PARAM.match(name) or name not in allowed]
            if not names or wrong or len(set(names)) != len(names):
                raise ValidationError(
                    self.env._(
                        "Variables of a '%(purpose)s' template: one or more of %(allowed)s, "
                        "each once (got '%(params)s').",
                        purpose=dict(PURPOSES)[template.purpose],
                        allowed=", ".join(sorted(allowed)),
                        params=template.params or "",
                    )
                )

    @api.model
    def _zm_find(self, company, purpose):
        """The template that sends ``purpose`` for ``company`` (its first active provider
        that has one), or an empty recordset."""
        return self.sudo().search(
            [
                ("purpose", "=", purpose),
                ("provider_id.company_id", "=", company.id),
                ("provider_id.active", "=", True),
            ],
            order="provider_id, id",
            limit=1,
        )

    def _zm_param_names(self):
        self.ensure_one()
        return [name.strip() for name in (self.params or "").split(",") if name.strip()]

    def _zm_render(self, values):
        """The provider's parameters and the wording kept in the log."""
        self.ensure_one()
        names = self._zm_param_names()
        if self.provider_id.kind == "tencent":
            params = [str(values.get(name, "")) for name in names]
        else:
            params = {name: str(values.get(name, "")) for name in names}
        text = self.text or " ".join(f"{name}={values.get(name, '')}" for name in names)
        for name in names:
            text = text.replace("{" + name + "}", str(values.get(name, "")))
        return params, text
