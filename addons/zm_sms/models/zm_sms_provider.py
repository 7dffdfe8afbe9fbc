from odoo import api, fields, models
from odoo.addons.zm_broadband.tools.secrets import pop_secrets, write_secrets
from odoo.exceptions import ValidationError

from ..tools import sms_providers

PROVIDER_KINDS = [("tencent", "Tencent Cloud SMS"), ("aliyun", "Aliyun SMS")]
#: the provider's keys: administrators only, written unlogged (zm_broadband tools/secrets)
SECRET_FIELDS = ("secret_key", "report_token")


class ZmSmsProvider(models.Model):
    """An SMS account at Tencent Cloud or Aliyun (F1).

    The company's first active provider sends its reminders. Keys are visible to
    administrators only and never logged; a neutralised (copied) database sends nothing.
    """

    _name = "zm.sms.provider"
    _description = "SMS Provider"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(PROVIDER_KINDS, required=True, default="tencent")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    key_id = fields.Char(
        string="Key ID",
        groups="base.group_system",
        help="Tencent Cloud SecretId, or Aliyun AccessKey ID.",
    )
    secret_key = fields.Char(
        groups="base.group_system",
        copy=False,
        help="Tencent Cloud SecretKey, or Aliyun AccessKey Secret.",
    )
    app_id = fields.Char(
        string="SMS App ID", help="Tencent Cloud SmsSdkAppId (not used by Aliyun)."
    )
    sign_name = fields.Char(
        string="Signature", required=True, help="The approved SMS signature (签名)."
    )
    region = fields.Char(default="ap-guangzhou", help="Tencent Cloud region.")
    endpoint = fields.Char(
        groups="base.group_system",
        help="Leave empty for the provider's public endpoint.",
    )
    timeout = fields.Integer(default=10, help="Seconds to wait for the provider's answer.")
    concurrency = fields.Integer(
        string="Parallel Requests",
        default=8,
        help="Requests in flight at once (the provider's rate limit permitting).",
    )
    unit_price = fields.Monetary(
        string="Price per Segment", help="What one billed segment costs, for the SMS log."
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    report_token = fields.Char(
        groups="base.group_system",
        copy=False,
        help="Secret part of the delivery-receipt URL given to the provider.",
    )
    report_url = fields.Char(
        string="Receipt URL",
        compute="_compute_report_url",
        groups="base.group_system",
        help="Give this URL to the provider as the delivery-receipt (status) callback.",
    )
    template_ids = fields.One2many("zm.sms.template", "provider_id", string="Templates")

    @api.depends("kind", "report_token")
    def _compute_report_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for provider in self:
            if provider.id and provider.report_token:
                provider.report_url = (
                    f"{base}/zm_sms/report/{provider.kind}/{provider.id}/{provider.report_token}"
                )
            else:
                provider.report_url = False

    @api.constrains("timeout", "concurrency")
    def _check_timeout(self):
        for provider in self:
            if not 1 <= provider.timeout <= 60:
                raise ValidationError(self.env._("The timeout is between 1 and 60 seconds."))
            if not 1 <= provider.concurrency <= 64:
                raise ValidationError(self.env._("Parallel requests: 1 to 64."))

    @api.model_create_multi
    def create(self, vals_list):
        pending = []
        for vals in vals_list:
            vals.setdefault("report_token", sms_providers.new_token())
            pending.append(pop_secrets(self, vals, SECRET_FIELDS, creating=True))
        providers = super().create(vals_list)
        for provider, secrets in zip(providers, pending, strict=True):
            write_secrets(provider, secrets)
        return providers

    def write(self, vals):
        secrets = pop_secrets(self, vals, SECRET_FIELDS)
        result = super().write(vals) if vals else True
        write_secrets(self, secrets)
        return result

    def action_new_report_token(self):
        """A new receipt URL (the old one stops working)."""
        for provider in self:
            provider.write({"report_token": sms_providers.new_token()})

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _zm_client(self, session=None):
        """The provider's API client (read as superuser: the keys are admin-only)."""
        self.ensure_one()
        provider = self.sudo()
        if provider.kind == "tencent":
            return sms_providers.TencentSms(
                provider.key_id or "",
                provider.secret_key or "",
                provider.app_id or "",
                provider.sign_name,
                region=provider.region,
                endpoint=provider.endpoint,
                timeout=provider.timeout,
                session=session,
            )
        return sms_providers.AliyunSms(
            provider.key_id or "",
            provider.secret_key or "",
            provider.sign_name,
            endpoint=provider.endpoint,
            timeout=provider.timeout,
            session=session,
        )

    @api.model
    def _zm_for_company(self, company):
        return self.sudo().search([("company_id", "=", company.id)], limit=1)
