from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ALIYUN_ID, ZmSmsCommon


@tagged("post_install", "-at_install")
class TestSending(ZmSmsCommon):
    def test_open_sends_one_signed_sms(self):
        """An operator opens an account: one 'opened' SMS, signed as Tencent checks it,
        logged with its cost, mirrored on Odoo's SMS record."""
        account = self._opened("sms-open-1")
        message = self._log(account, "opened")
        self.assertEqual((len(message), message.state), (1, "queued"))
        self.assertEqual(message.phone, "+8613912345678")
        self.assertEqual(message.area_id, self.area)
        self.assertEqual(self._send(), 1)
        self.assertEqual(message.state, "sent")
        self.assertEqual(self.fake.refused, [])
        [sent] = self.fake.sent
        expiry = account._zm_local_text(account.expiry_at)
        self.assertEqual(
            (sent["provider"], sent["phone"], sent["template"], sent["params"], sent["sign"]),
            ("tencent", "+8613912345678", "OPEN01", ["sms-open-1", expiry], "ZM宽带"),
        )
        self.assertEqual(message.provider_ref, sent["ref"])
        self.assertEqual(message.body, f"Account sms-open-1 is open until {expiry}.")
        self.assertEqual((message.fee, message.cost), (1, 0.05))
        sms = self.env["sms.sms"].search([("zm_message_id", "=", message.id)])
        self.assertEqual((sms.state, sms.uuid), ("pending", message.sms_uuid))
        # Odoo's cleaner removes it, as the SMS Odoo sends itself; the log keeps it
        self.assertTrue(sms.to_delete)
        self.assertEqual(sent["context"], message.sms_uuid)
        # a second run sends nothing more
        self.assertEqual(self._send(), 0)
        self.assertEqual(len(self.fake.sent), 1)

    def test_renewal_sends_renewed(self):
        account = self._opened("sms-renew-1")
        self._send()
        desk = account.with_user(self.operator)
        desk.action_topup(48.0, self.cash.id)
        desk.action_renew()
        message = self._log(account, "renewed")
        self.assertEqual(len(message), 1)
        self._send()
        self.assertEqual(message.state, "sent")
        self.assertEqual(self.fake.sent[-1]["params"][1], "Monthly 40")

    def test_aliyun_signed_and_named_params(self):
        self.tencent.active = False
        self.aliyun.active = True
        account = self._opened("sms-ali-1")
        self._send()
        message = self._log(account, "opened")
        self.assertEqual(message.state, "sent", message.error_code)
        [sent] = self.fake.sent
        self.assertEqual((sent["provider"], sent["phone"]), ("aliyun", "13912345678"))
        self.assertEqual(sent["params"]["account"], "sms-ali-1")
        self.assertEqual(sent["context"], message.sms_uuid)

    def test_wrong_key_fails_for_good(self):
        """A signature the provider refuses is a configuration error: failed, not retried."""
        self.tencent.secret_key = "not-the-key"
        account = self._opened("sms-badkey")
        self._send()
        message = self._log(account, "opened")
        self.assertEqual(
            (message.state, message.error_code), ("failed", "AuthFailure.SignatureFailure")
        )
        self.assertEqual(self.fake.refused, [("tencent", "AuthFailure.SignatureFailure")])
        self.assertEqual(self.fake.sent, [])
        sms = self.env["sms.sms"].search([("zm_message_id", "=", message.id)])
        self.assertEqual(sms.state, "error")

    def test_unknown_key_id_aliyun(self):
        self.tencent.active = False
        self.aliyun.write({"active": True, "key_id": ALIYUN_ID + "x"})
        account = self._opened("sms-ali-bad")
        self._send()
        self.assertEqual(self._log(account).error_code, "InvalidAccessKeyId.NotFound")
        self.assertEqual(self._log(account).state, "failed")

    def test_invalid_phone_is_logged_not_sent(self):
        account = self._opened("sms-badphone", phone="12345")
        message = self._log(account, "opened")
        self.assertEqual((message.state, message.error_code), ("skipped", "invalid_number"))
        self._send()
        self.assertEqual(self.fake.sent, [])
        # a landline is not a mobile: no SMS either
        other = self._opened("sms-landline", phone="010 6552 9988")
        self.assertEqual(self._log(other).state, "skipped")

    def test_throttled_then_retried_with_backoff(self):
        account = self._opened("sms-throttle")
        self.fake.fail_next("throttle")
        self._send()
        message = self._log(account)
        self.assertEqual((message.state, message.attempts), ("queued", 1))
        self.assertTrue(message.error_code.startswith("LimitExceeded"))
        # not before the backoff
        self.assertEqual(self._send(), 0)
        self._age(message, 2)
        self.assertEqual(self._send(), 1)
        self.assertEqual((message.state, message.attempts), ("sent", 2))
        self.assertEqual(len(self.fake.sent), 1)

    def test_gives_up_after_max_attempts(self):
        account = self._opened("sms-max")
        message = self._log(account)
        self.fake.fail_next(*["throttle"] * 10)
        for _ in range(6):
            self._send()
            self._age(message, 120)
        self.assertEqual((message.state, message.attempts), ("failed", 5))
        self.assertEqual(self.fake.sent, [])

    def test_lost_answer_is_never_sent_twice(self):
        """The provider took the message but its answer never came: the message is
        looked up in the provider's status list and found - not sent again."""
        account = self._opened("sms-hang")
        self.fake.fail_next("hang")
        with mute_logger("urllib3.connectionpool"):
            self._send()
        message = self._log(account)
        self.assertEqual((message.state, message.error_code), ("uncertain", "read_timeout"))
        self.assertEqual(len(self.fake.sent), 1)
        # nothing happens until the reconciliation time
        self._send()
        self.assertEqual((message.state, len(self.fake.sent)), ("uncertain", 1))
        self._age(message, 11)
        self._send()
        self.assertEqual((message.state, message.error_code), ("sent", "confirmed_by_provider"))
        self.assertEqual(self.fake.count(context=message.sms_uuid), 1)
        self.assertEqual(message.provider_ref, self.fake.sent[0]["ref"])

    def test_gateway_error_not_received_is_sent_once(self):
        """A 502 page: maybe handled, maybe not. Aliyun's list shows every message it
        took: not there, it is sent again - once."""
        self.tencent.active = False
        self.aliyun.active = True
        account = self._opened("sms-502")
        self.fake.fail_next("http500")
        self._send()
        message = self._log(account)
        self.assertEqual((message.state, message.error_code), ("uncertain", "http_502"))
        self._age(message, 11)
        self._send()  # asks, not found: queued again at once...
        self._send()  # ...and sent
        self.assertEqual(message.state, "sent")
        self.assertEqual(self.fake.count(context=message.sms_uuid), 1)

    def test_gateway_error_tencent_never_resent_blindly(self):
        """Tencent's list holds delivery reports only, so not finding a message there
        proves nothing: after a day without a report it fails, and is not resent."""
        account = self._opened("sms-502-tc")
        self.fake.fail_next("http500")
        self._send()
        message = self._log(account)
        for minutes in (11, 31, 31):
            self._age(message, minutes)
            self._send()
        self.assertEqual(message.state, "uncertain")
        self._age(message, 24 * 60)
        self._send()
        self.assertEqual((message.state, message.error_code), ("failed", "unconfirmed"))
        self.assertEqual(self.fake.count(context=message.sms_uuid), 0)

    def test_provider_down_is_retried(self):
        account = self._opened("sms-down")
        self.tencent.endpoint = "http://127.0.0.1:9"  # discard port: refused
        self._send()
        message = self._log(account)
        self.assertEqual((message.state, message.error_code), ("queued", "connect_error"))
        self.tencent.endpoint = self.fake.url
        self._age(message, 2)
        self._send()
        self.assertEqual(message.state, "sent")

    def test_crashed_sender_claim_is_checked_not_resent(self):
        """A sender killed after calling the provider leaves its claim: after a while the
        provider is asked, and the message is not sent twice."""
        account = self._opened("sms-crash")
        message = self._log(account)
        claimed = self.env["zm.sms.message"]._zm_claim(10)
        self.assertEqual(claimed, message)
        with patch.object(type(message), "_zm_store", lambda *a, **k: None):
            claimed._zm_deliver()  # sent, but the outcome is never written
        self.assertEqual((message.state, len(self.fake.sent)), ("sending", 1))
        self._send()
        self.assertEqual(message.state, "sending")
        self._age(message, 16)
        self._send()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.fake.sent), 1)

    def test_neutralized_database_sends_nothing(self):
        account = self._opened("sms-neutral")
        self.env["ir.config_parameter"].set_param("database.is_neutralized", True)
        with self.assertLogs("odoo.addons.zm_sms.models.zm_sms_message", "WARNING"):
            self.assertEqual(self._send(), 0)
        self.assertEqual(self.fake.sent, [])
        self.assertEqual(self._log(account).state, "queued")
        # what Odoo's neutralisation runs on a copied database
        self.env["ir.config_parameter"].set_param("database.is_neutralized", False)
        from odoo.modules.neutralize import get_neutralization_queries

        for query in get_neutralization_queries(["zm_sms"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertFalse(self.tencent.active)
        self.assertEqual(self._log(account).state, "skipped")
        self._send()
        self.assertEqual(self.fake.sent, [])

    def test_quiet_hours_hold_reminders(self):
        """At 23:00 in Shanghai a reminder waits for 08:00; a verification code does not."""
        self.company.write({"zm_sms_quiet_start": 21.0, "zm_sms_quiet_end": 8.0})
        from datetime import datetime

        company = self.company
        # 23:00 Shanghai = 15:00 UTC -> until 08:00 Shanghai = 00:00 UTC next day
        self.assertEqual(
            company._zm_sms_quiet_until(datetime(2026, 12, 8, 15, 0)), datetime(2026, 12, 9, 0, 0)
        )
        # 02:00 Shanghai = 18:00 UTC the day before -> 00:00 UTC
        self.assertEqual(
            company._zm_sms_quiet_until(datetime(2026, 12, 8, 18, 0)), datetime(2026, 12, 9, 0, 0)
        )
        self.assertIsNone(company._zm_sms_quiet_until(datetime(2026, 12, 8, 3, 0)))  # 11:00
        with patch.object(
            type(company), "_zm_sms_quiet_until", lambda self, now: now.replace(year=2099)
        ):
            account = self._opened("sms-quiet")
            code = (
                self.env["zm.sms.message"]
                .sudo()
                ._zm_queue(
                    self.company,
                    "verification",
                    [{"event_key": "code:1", "phone": "13912345678", "values": {"code": "482913"}}],
                )
            )
            message = self._log(account)
            self.assertEqual(message.next_try_at.year, 2099)
            self.assertFalse(code.next_try_at)
            self._send()
        self.assertEqual(message.state, "queued")
        self.assertEqual(code.state, "sent")
        self.assertEqual(self.fake.sent[0]["params"], ["482913"])
        # the code is never shown in the log, nor kept once sent
        self.assertEqual(code.params, {"code": "******"})
        self.assertEqual(code.body, "Your code is ******.")
        self.assertFalse(code.sudo().send_params)

    def test_other_odoo_sms_goes_through_generic_template(self):
        """An SMS written by Odoo itself (composer, marketing) uses the provider's generic
        template when there is one."""
        self.env["zm.sms.template"].create(
            {"name": "generic", "purpose": "generic", "template_code": "GEN01",
             "params": "content", "provider_id": self.tencent.id}
        )  # fmt: skip
        sms = self.env["sms.sms"].create(
            {"number": "139 1234 5678", "body": "Network works tonight."}
        )
        sms.send()
        message = sms.zm_message_id
        self.assertEqual((message.purpose, message.phone), ("generic", "+8613912345678"))
        self.assertEqual(self.fake.sent, [])  # the log's job sends it
        self._send()
        self.assertEqual(self.fake.sent[0]["params"], ["Network works tonight."])
        self.assertEqual(sms.state, "pending")
        # sending it again through Odoo does not text twice
        sms.state = "outgoing"
        sms.send()
        self._send()
        self.assertEqual(len(self.fake.sent), 1)
