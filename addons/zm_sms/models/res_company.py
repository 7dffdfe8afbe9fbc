from datetime import datetime, time, timedelta

import pytz
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    zm_sms_expiring_days = fields.Integer(
        string="Expiry Reminder (days before)",
        default=3,
        help="The 'about to expire' SMS goes out this many days before the expiry.",
    )
    zm_sms_quiet_start = fields.Float(
        string="Quiet Hours From",
        default=21.0,
        help="Reminders due in the quiet hours wait for their end (company time zone). "
        "Verification codes are never held.",
    )
    zm_sms_quiet_end = fields.Float(string="Quiet Hours Until", default=8.0)
    zm_sms_foreign_numbers = fields.Boolean(
        string="SMS Outside Mainland China",
        help="Send to mobile numbers outside mainland China too (billed as international).",
    )

    @api.constrains("zm_sms_expiring_days", "zm_sms_quiet_start", "zm_sms_quiet_end")
    def _check_zm_sms(self):
        for company in self:
            if not 0 <= company.zm_sms_expiring_days <= 60:
                raise ValidationError(self.env._("The expiry reminder is 0 to 60 days before."))
            for hour in (company.zm_sms_quiet_start, company.zm_sms_quiet_end):
                # to the minute, as the form shows it: 23:59 at the latest
                if not 0 <= round(hour * 60) < 24 * 60:
                    raise ValidationError(self.env._("Quiet hours are times of day (0-24)."))

    def _zm_sms_quiet_until(self, now):
        """The end of the quiet hours (naive UTC) if ``now`` (naive UTC) falls in them,
        else None. Equal start and end: no quiet hours."""
        self.ensure_one()
        # to the minute; a value that would round to 24:00 counts as 23:59
        start, end = (min(round(hour * 60), 24 * 60 - 1) / 60 for hour in
                      (self.zm_sms_quiet_start, self.zm_sms_quiet_end))  # fmt: skip
        if start == end:
            return None
        zone = pytz.timezone(self.zm_tz or "Asia/Shanghai")
        local = pytz.utc.localize(now).astimezone(zone)
        hour = local.hour + local.minute / 60 + local.second / 3600
        inside = start <= hour < end if start < end else (hour >= start or hour < end)
        if not inside:
            return None
        end_day = local.date() if hour < end else local.date() + timedelta(days=1)
        minutes = round(end * 60)
        naive_end = datetime.combine(end_day, time(minutes // 60, minutes % 60))
        return zone.localize(naive_end).astimezone(pytz.utc).replace(tzinfo=None)
