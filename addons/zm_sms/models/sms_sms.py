import logging

from odoo import fields, models

_logger = logging.getLogger(__name__)


class SmsSms(models.Model):
    """Odoo's outgoing SMS, sent through the company's Tencent Cloud or Aliyun account.

    An SMS written by this add-on (a reminder) carries its log row and is sent by the
    SMS log's sender. Any other SMS of Odoo (the SMS composer, marketing, …) goes out
    through the provider's "Other Odoo SMS" template when the company has one and the SMS
    was written by a broadband manager or an administrator (the company's signature and
    money: an operator cannot text any number through it), its text as the template's
    ``content`` variable. Otherwise Odoo's own service (IAP) sends it as before.
    """

    _inherit = "sms.sms"

    zm_message_id = fields.Many2one("zm.sms.message", string="SMS Log", index="btree_not_null")

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        ours = self.filtered("zm_message_id")
        others = self - ours
        routed = self.browse()
        templates = self.env["zm.sms.template"].sudo()
        for sms in others:
            author = sms.create_uid
            company = sms._zm_company()
            if not company or not templates._zm_find(company, "generic"):
                continue
            if not author or not (
                author.has_group("zm_broadband.group_manager")
                or author.has_group("base.group_system")
            ):
                # the company's own signature and money: managers only; the others'
                # SMS stay with Odoo's own service as before
                continue
            routed |= sms
            self.env["zm.sms.message"].sudo()._zm_queue(
                company,
                "generic",
                [
                    {
                        "event_key": f"sms:{sms.uuid}",
                        "phone": sms.number,
                        "values": {"content": sms.body or ""},
                        "partner_id": sms.partner_id.id or None,
                        "sms_id": sms.id,
                    }
                ],
            )
        if ours:
            # sent by the SMS log's own job, which claims each message under lock
            self.env.ref("zm_sms.ir_cron_zm_sms_send").sudo()._trigger()
        rest = others - routed
        if not rest:
            return None
        return super(SmsSms, rest)._send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            raise_exception=raise_exception,
        )

    def _zm_company(self):
        """The company whose account sends this SMS: the one of the record it is about,
        else of its recipient, else its author's only company; unknown (Odoo's own
        service sends it) rather than a guess."""
        self.ensure_one()
        company = self.mail_message_id.record_company_id or self.partner_id.company_id
        if not company and len(self.create_uid.company_ids) == 1:
            company = self.create_uid.company_id
        return company.sudo()
