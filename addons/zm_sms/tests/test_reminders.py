from datetime import timedelta

from odoo.tests import tagged

from .common import ZmSmsCommon


@tagged("post_install", "-at_install")
class TestReminders(ZmSmsCommon):
    def _expire_in(self, account, delta):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE zm_subscriber SET expiry_at = %s WHERE id = %s",
            (self.now() + delta, account.id),
        )
        account.invalidate_recordset()

    def _cron(self):
        return self.env["zm.subscriber"]._cron_sms_reminders(commit=False)

    def test_expiring_and_expired_once_each(self):
        soon = self._opened("rem-soon")
        gone = self._opened("rem-gone")
        later = self._opened("rem-later")
        long_gone = self._opened("rem-longgone")
        self._expire_in(soon, timedelta(days=2, hours=1))
        self._expire_in(gone, -timedelta(hours=1))
        self._expire_in(later, timedelta(days=10))
        self._expire_in(long_gone, -timedelta(days=30))
        self._cron()
        self.assertEqual(len(self._log(soon, "expiring")), 1)
        self.assertEqual(self._log(soon, "expiring").params["days"], "3")
        self.assertEqual(len(self._log(gone, "expired")), 1)
        self.assertFalse(self._log(later, "expiring"))
        self.assertFalse(self._log(long_gone, "expired"))
        # a second run, and a run after sending, queue nothing more
        self._cron()
        self._send()
        self._cron()
        self.assertEqual(len(self._log(soon, "expiring")), 1)
        self.assertEqual(len(self._log(gone, "expired")), 1)
        self.assertEqual(self.fake.count(phone="+8613912345678"), 4 + 2)  # 4 opened, 2 reminders
        # renewed, the account's next expiry is a new event
        self._expire_in(soon, timedelta(days=1))
        self._cron()
        self.assertEqual(len(self._log(soon, "expiring")), 2)

    def test_switches_per_area_and_package(self):
        child = self.env["zm.area"].create(
            {"name": "North-1", "parent_id": self.area.id, "company_id": self.company.id}
        )
        in_child = self._opened("rem-child", area=child)
        on_other = self._opened("rem-south", area=self.area_south)
        self._expire_in(in_child, timedelta(days=1))
        self._expire_in(on_other, timedelta(days=1))
        self.area.zm_sms_reminders = False  # the parent is off: its sub-areas too
        self._cron()
        self.assertFalse(self._log(in_child, "expiring"))
        self.assertEqual(len(self._log(on_other, "expiring")), 1)
        self.area.zm_sms_reminders = True
        self.monthly.zm_sms_reminders = False
        self._cron()
        self.assertFalse(self._log(in_child, "expiring"))
        self.monthly.zm_sms_reminders = True
        self._cron()
        self.assertEqual(len(self._log(in_child, "expiring")), 1)

    def test_not_for_paused_or_without_phone_or_template(self):
        paused = self._opened("rem-paused")
        paused.with_user(self.operator).action_pause()
        nophone = self._opened("rem-nophone", phone=False)
        for account in (paused, nophone):
            self._expire_in(account, timedelta(days=1))
        self._cron()
        self.assertFalse(self._log(paused, "expiring"))
        self.assertFalse(self._log(nophone))
        # without an 'expiring' template nothing is queued, and nothing fails
        active = self._opened("rem-notemplate")
        self._expire_in(active, timedelta(days=1))
        self.tencent.template_ids.filtered(lambda t: t.purpose == "expiring").active = False
        self._cron()
        self.assertFalse(self._log(active, "expiring"))

    def test_template_variables_are_checked(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.env["zm.sms.template"].create(
                {"name": "x", "purpose": "generic", "template_code": "X", "params": "code",
                 "provider_id": self.aliyun.id}
            )  # fmt: skip
