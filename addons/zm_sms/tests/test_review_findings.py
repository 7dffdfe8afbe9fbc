"""The hostile review of issue 14 (zm_sms), one test per finding, each failing on the
code it was found in."""

import json
from datetime import UTC, timedelta
from unittest.mock import patch

from odoo import Command
from odoo.addons.sms.tools.sms_api import SmsApi
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..tools import sms_providers
from .common import ALL_RIGHTS, ZmSmsCommon
from .test_receipts import china


@tagged("post_install", "-at_install")
class TestReviewFindings(ZmSmsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["zm.sms.template"].create(
            {"name": "generic", "purpose": "generic", "template_code": "GEN01",
             "params": "content", "provider_id": cls.tencent.id}
        )  # fmt: skip
        cls.clerk = new_test_user(
            cls.env,
            login="zm_sms_review_clerk",
            groups=f"zm_broadband.group_operator,{ALL_RIGHTS}",
            company_id=cls.company.id,
        )
        cls.clerk.zm_area_ids = [Command.set(cls.area.ids)]
        cls.manager = new_test_user(
            cls.env, login="zm_sms_review_mgr", groups="zm_broadband.group_manager",
            company_id=cls.company.id,
        )  # fmt: skip

    # F1: SMS pumping through the composer ---------------------------------------------

    def test_operator_cannot_text_any_number_through_the_company_account(self):
        calls = []

        def iap(api, messages, delivery_reports_url=False):
            calls.append(messages)
            return [{"uuid": n["uuid"], "state": "success"} for m in messages for n in m["numbers"]]

        with patch.object(SmsApi, "_send_sms_batch", iap):
            composer = (
                self.env["sms.composer"]
                .with_user(self.clerk)
                .create(
                    {
                        "composition_mode": "numbers",
                        "numbers": "+447911123456,+8613911113333",
                        "body": "Win a prize! http://evil.example",
                    }
                )  # fmt: skip
            )
            composer.action_send_sms()
            self.env["sms.sms"].sudo().search([("body", "like", "Win a prize")]).send()
        self._send()
        self.assertEqual(self.fake.sent, [])
        self.assertFalse(self.env["zm.sms.message"].search([("purpose", "=", "generic")]))
        self.assertTrue(calls)  # Odoo's own service, as without this add-on
        # a manager's SMS goes through the provider; to mainland China only
        sms = self.env["sms.sms"].with_user(self.manager).sudo().create(
            [{"number": "+8613911113333", "body": "Tonight 2-4 am: maintenance."},
             {"number": "+447911123456", "body": "Tonight 2-4 am: maintenance."}]
        )  # fmt: skip
        sms.send()
        self._send()
        self.assertEqual([item["phone"] for item in self.fake.sent], ["+8613911113333"])
        # the foreign one failed for its number and left Odoo's queue (no endless retry)
        foreign = sms.filtered(lambda s: s.number.startswith("+44"))
        self.assertEqual((foreign.state, foreign.failure_type), ("error", "sms_number_format"))

    def test_foreign_numbers_only_when_allowed(self):
        account = self._opened("rev-foreign", phone="+447911123456")
        self.assertEqual(self._log(account).state, "skipped")
        self.company.zm_sms_foreign_numbers = True
        other = self._opened("rev-foreign-ok", phone="+447911123457")
        self._send()
        self.assertEqual(self._log(other).state, "sent")
        self.assertEqual(self.fake.sent[0]["phone"], "+447911123457")

    # F2, F3: a lost answer ----------------------------------------------------------------

    def test_not_in_tencent_status_list_is_not_proof(self):
        """Tencent's list holds delivery reports: a phone that is off is not in it yet.
        The message is asked about again, never resent."""
        self.fake.auto_report = False
        self.addCleanup(setattr, self.fake, "auto_report", True)
        account = self._opened("rev-phone-off")
        self.fake.fail_next("drop")
        self._send()
        message = self._log(account)
        self.assertEqual(message.state, "uncertain")
        for _ in range(3):
            self._age(message, 31)
            self._send()
        self.assertEqual((message.state, len(self.fake.sent)), ("uncertain", 1))
        self.fake.report_all()  # the handset is on again
        self._age(message, 31)
        self._send()
        self.assertEqual((message.state, message.error_code), ("sent", "confirmed_by_provider"))
        self.assertEqual(len(self.fake.sent), 1)
        # a day without an answer: failed, not resent
        other = self._opened("rev-phone-off-2")
        self.fake.fail_next("drop")
        self._send()
        late = self._log(other)
        self._age(late, 25 * 60)
        self._send()
        self.assertEqual((late.state, late.error_code), ("failed", "unconfirmed"))
        # the two dropped "opened" SMS, each once
        self.assertEqual(self.fake.count(phone="+8613912345678"), 2)

    def test_aliyun_list_proves_absence_and_presence(self):
        self.tencent.active = False
        self.aliyun.active = True
        self.fake.auto_report = False
        self.addCleanup(setattr, self.fake, "auto_report", True)
        account = self._opened("rev-ali-lost")
        self.fake.fail_next("hang")
        with mute_logger("urllib3.connectionpool"):
            self._send()
        message = self._log(account)
        self._age(message, 11)
        self._send()
        # Aliyun lists it while it waits for its report: found, not resent
        self.assertEqual((message.state, len(self.fake.sent)), ("sent", 1))

    def test_provider_clock_behind_ours(self):
        """The provider's clock 3 minutes behind ours (Tencent accepts 5): the message is
        still found in its list."""
        account = self._opened("rev-skew")
        self.fake.fail_next("drop")
        self._send()
        message = self._log(account)
        self._age(message, 11)
        # the provider stamped it 3 minutes before what our clock called the attempt
        sent_at = message.last_try_at.replace(tzinfo=UTC).timestamp()
        with self.fake.lock:
            self.fake.sent[-1]["at"] = sent_at - 180
        self._send()
        self.assertEqual((message.state, len(self.fake.sent)), ("sent", 1))

    def test_tencent_internal_timeout_is_uncertain(self):
        account = self._opened("rev-internal")
        self.fake.fail_next("internal")
        self._send()
        message = self._log(account)
        self.assertEqual(
            (message.state, message.error_code), ("uncertain", "InternalError.Timeout")
        )
        self._age(message, 11)
        self._send()
        self.assertEqual((message.state, len(self.fake.sent)), ("sent", 1))

    # F4: a slow status list never holds new messages up ----------------------------------

    def test_questions_come_after_sending(self):
        lost = self._opened("rev-slow-1")
        self.fake.fail_next("drop")
        self._send()
        self._age(self._log(lost), 11)
        fresh = self._opened("rev-slow-2")
        seen = []
        original = sms_providers.TencentSms.sent_in

        def slow_status(client, *args):
            seen.append(self.fake.count(context=self._log(fresh).sms_uuid))
            return original(client, *args)

        with patch.object(sms_providers.TencentSms, "sent_in", slow_status):
            self._send()
        self.assertEqual(seen, [1])  # the new one was out before the question

    def test_question_time_is_a_real_budget(self):
        """The status questions stop when the run's time for them is up, between two
        questions, not only between groups of them; the rest are first at the next run."""
        accounts = [self._opened(f"rev-budget-{i}") for i in range(3)]
        self.fake.fail_next("drop", "drop", "drop")
        self._send()
        messages = self.env["zm.sms.message"].browse([self._log(a).id for a in accounts])
        self.assertEqual(set(messages.mapped("state")), {"uncertain"})
        self._age(messages, 11)
        clock, asked = [0.0], []

        def monotonic():
            return clock[0]

        def slow_question(client, phone, context, since, until):
            asked.append(context)
            clock[0] += 40  # each question takes 40 s of the run's 60
            return None, ""

        module = "odoo.addons.zm_sms.models.zm_sms_message.time.monotonic"
        with (
            patch(module, monotonic),
            patch.object(sms_providers.TencentSms, "sent_in", slow_question),
        ):
            self._send()
        self.assertEqual(len(asked), 2)
        waiting = messages.filtered(lambda m: m.sms_uuid not in asked)
        self.assertEqual(len(waiting), 1)
        self.assertLessEqual(waiting.next_try_at, self.now())  # asked first next time

    # F5: the account changed after the reminder was queued -------------------------------

    def test_stale_reminder_not_sent_and_new_number_used(self):
        renewed = self._opened("rev-stale")
        moved = self._opened("rev-newphone")
        self.env.flush_all()
        for account in (renewed, moved):
            self.env.cr.execute(
                "UPDATE zm_subscriber SET expiry_at = %s WHERE id = %s",
                (self.now() + timedelta(days=1), account.id),
            )
        self.env.invalidate_all()
        self._send()
        self.company.write({"zm_sms_quiet_start": 0.0, "zm_sms_quiet_end": 23.99})
        self.env["zm.subscriber"]._cron_sms_reminders(commit=False)
        reminder = self._log(renewed, "expiring")
        other = self._log(moved, "expiring")
        self.assertTrue(reminder.next_try_at)  # held by the quiet hours
        desk = renewed.with_user(self.operator)
        desk.action_topup(48.0, self.cash.id)
        desk.action_renew()
        moved.phone = "13977776666"
        self.company.write({"zm_sms_quiet_start": 0.0, "zm_sms_quiet_end": 0.0})
        self.env["zm.sms.message"].search([("state", "=", "queued")]).sudo().write(
            {"next_try_at": False}
        )
        self.fake.reset()
        self._send()
        self.assertEqual((reminder.state, reminder.error_code), ("skipped", "event_changed"))
        self.assertEqual(other.state, "sent")
        phones = sorted(item["phone"] for item in self.fake.sent)
        # the renewal's own SMS, and the reminder to the new number
        self.assertEqual(phones, ["+8613912345678", "+8613977776666"])

    # F6: receipts ---------------------------------------------------------------------------

    def test_bad_receipt_items_never_lose_good_ones(self):
        accounts = [self._opened(f"rev-rcpt-{i}") for i in range(2)]
        self._send()
        first, second = (self._log(a) for a in accounts)
        provider = self.tencent.sudo()
        path = f"/zm_sms/report/tencent/{provider.id}/{provider.report_token}"
        good = {"nationcode": "86", "mobile": "13912345678", "report_status": "SUCCESS",
                "errmsg": "DELIVRD", "user_receive_time": china(first.sent_at)}  # fmt: skip
        items = [
            dict(good, sid="bad\x00sid"),
            dict(good, sid=first.provider_ref, user_receive_time="0001-01-01 00:00:00"),
            dict(good, sid={"nested": [1, 2]}),
            dict(good, sid=second.provider_ref, mobile=["x"]),
        ]
        response = self.url_open(path, data=json.dumps(items),
                                 headers={"Content-Type": "application/json"})  # fmt: skip
        self.assertEqual(response.status_code, 200)
        (first | second).invalidate_recordset()
        self.assertEqual((first.state, second.state), ("delivered", "delivered"))
        self.assertEqual(first.receipt_code, "SUCCESS:DELIVRD")
        # the bad year fell back to now; a late FAIL does not undo the delivery
        self.assertLess(abs((first.delivered_at - self.now()).total_seconds()), 3600)
        late = [dict(good, sid=first.provider_ref, report_status="FAIL", errmsg="MK:0001",
                     user_receive_time="2029-12-31 23:59:59")]  # fmt: skip
        self.url_open(path, data=json.dumps(late), headers={"Content-Type": "application/json"})
        first.invalidate_recordset()
        self.assertEqual(first.state, "delivered")
        deep = b"[" * 100000 + b"]" * 100000
        with mute_logger("odoo.http"):
            response = self.url_open(path, data=deep, headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 400)

    # F7: settings never block the desk -----------------------------------------------------

    def test_quiet_hours_to_the_minute_and_desk_isolated(self):
        with self.assertRaises(ValidationError):
            self.company.zm_sms_quiet_end = 23.995
        self.company.write({"zm_sms_quiet_start": 0.0, "zm_sms_quiet_end": 23.99})
        self.assertTrue(self.company._zm_sms_quiet_until(self.now().replace(hour=12)))
        queue = patch.object(
            type(self.env["zm.sms.message"]), "_zm_queue", side_effect=RuntimeError
        )
        with queue, mute_logger("odoo.addons.zm_sms.models.zm_subscriber"):
            account = self._opened("rev-desk")
        self.assertEqual(account.state, "active")

    # F8: export -------------------------------------------------------------------------------

    def test_log_exported_by_finance_and_managers(self):
        """Finance and managers export the log (and only the log: Odoo's export right for
        every model is not given); a clerk does not."""
        self._opened("rev-export")
        self._opened("rev-export-south", area=self.area_south)
        finance = new_test_user(
            self.env, login="zm_sms_review_fin", groups="zm_broadband.group_finance",
            company_id=self.company.id,
        )  # fmt: skip
        for user in (finance, self.manager):
            self.assertFalse(user.has_group("base.group_allow_export"))
            log = self.env["zm.sms.message"].with_user(user).search([])
            rows = log.export_data(["phone", "purpose", "state", "cost"])["datas"]
            self.assertEqual(len(rows), 2)
            action = log.action_export_xlsx()
            attachment = self.env["ir.attachment"].browse(
                int(action["url"].split("/")[3].split("?")[0])
            )
            self.assertTrue(attachment.raw.startswith(b"PK"))  # an xlsx (zip) file
            with self.assertRaises(UserError):
                self.env["zm.subscriber"].with_user(user).search([]).export_data(["name", "phone"])
        clerk_log = self.env["zm.sms.message"].with_user(self.clerk).search([])
        self.assertEqual(len(clerk_log), 1)  # own area only
        with self.assertRaises(AccessError):
            clerk_log.action_export_xlsx()
        with self.assertRaises(UserError):
            clerk_log.export_data(["phone"])

    # R2, R3, R5 (second review) ----------------------------------------------------------

    def test_odoo_sms_without_author_or_company_never_blocks_others(self):
        sms = self.env["sms.sms"].with_user(self.manager).sudo().create(
            [{"number": "+8613911112222", "body": "one"}, {"number": "+8613911113333", "body": "two"}]
        )  # fmt: skip
        self.env.flush_all()
        self.env.cr.execute("UPDATE sms_sms SET create_uid = NULL WHERE id = %s", [sms[0].id])
        sms.invalidate_recordset()
        with patch.object(SmsApi, "_send_sms_batch", lambda api, m, delivery_reports_url=False: [
            {"uuid": n["uuid"], "state": "success"} for x in m for n in x["numbers"]
        ]):  # fmt: skip
            sms.send()
        self._send()
        self.assertEqual([item["phone"] for item in self.fake.sent], ["+8613911113333"])

    def test_a_number_gets_at_most_ten_a_day(self):
        account = self._opened("rev-cap")
        items = [
            {"event_key": f"cap:{i}", "phone": "13912345678", "values": {"content": f"n{i}"},
             "subscriber_id": account.id, "area_id": self.area.id}
            for i in range(14)
        ]  # fmt: skip
        self.env["zm.sms.message"].sudo()._zm_queue(self.company, "generic", items)
        self._send()
        self.assertEqual(self.fake.count(phone="+8613912345678"), 10)  # the opening SMS + 9
        capped = self.env["zm.sms.message"].search([("error_code", "=", "number_cap")])
        self.assertEqual(len(capped), 5)

    # U4: codes --------------------------------------------------------------------------------

    def test_verification_code_is_never_resent(self):
        self.tencent.secret_key = "wrong"
        code = self.env["zm.sms.message"].sudo()._zm_queue(
            self.company, "verification",
            [{"event_key": "code:rev", "phone": "13912345678", "values": {"code": "123456"}}],
        )  # fmt: skip
        self._send()
        self.assertEqual(code.state, "failed")
        with self.assertRaises(UserError):
            code.with_user(self.manager).action_resend()
