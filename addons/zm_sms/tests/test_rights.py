from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import ALL_RIGHTS, ZmSmsCommon


@tagged("post_install", "-at_install")
class TestRights(ZmSmsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.north_clerk = new_test_user(
            cls.env,
            login="zm_sms_north_clerk",
            groups=f"zm_broadband.group_operator,{ALL_RIGHTS}",
            company_id=cls.company.id,
        )
        cls.north_clerk.zm_area_ids = [Command.set(cls.area.ids)]
        cls.manager = new_test_user(
            cls.env,
            login="zm_sms_manager",
            groups="zm_broadband.group_manager",
            company_id=cls.company.id,
        )

    def test_operator_sees_own_areas_only(self):
        north = self._opened("rights-north")
        south = self._opened("rights-south", area=self.area_south)
        Log = self.env["zm.sms.message"].with_user(self.north_clerk)
        self.assertEqual(Log.search([]).subscriber_id, north)
        with self.assertRaises(AccessError):
            self._log(south).with_user(self.north_clerk).read(["phone"])
        groups = Log.read_group([], ["purpose"], ["purpose"])
        self.assertEqual(sum(group["purpose_count"] for group in groups), 1)
        self.assertEqual(len(Log.search([("phone", "=", "+8613912345678")])), 1)

    def test_nobody_edits_the_log(self):
        account = self._opened("rights-edit")
        message = self._log(account)
        for user in (self.operator, self.manager):
            log = message.with_user(user)
            with self.assertRaises(AccessError), mute_logger("odoo.models"):
                log.write({"state": "delivered"})
            with self.assertRaises(AccessError), mute_logger("odoo.models"):
                log.unlink()
            with self.assertRaises(AccessError), mute_logger("odoo.models"):
                log.create({"phone": "+8613900000000", "purpose": "opened",
                            "company_id": self.company.id})  # fmt: skip

    def test_keys_are_for_administrators(self):
        provider = self.tencent.with_user(self.manager)
        self.assertEqual(provider.sign_name, "ZM宽带")
        for fname in ("secret_key", "key_id", "report_token", "report_url", "endpoint"):
            with self.assertRaises(AccessError), mute_logger("odoo.models"):
                provider.read([fname])
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            provider.write({"sign_name": "Other"})
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self._log(self._opened("rights-keys")).with_user(self.manager).read(["send_params"])
        # a clerk reads which provider sent a message, never its keys
        clerk = self.tencent.with_user(self.operator)
        self.assertEqual(clerk.read(["name", "kind"])[0]["kind"], "tencent")
        for fname in ("secret_key", "key_id", "report_token", "endpoint"):
            with self.assertRaises(AccessError), mute_logger("odoo.models"):
                clerk.read([fname])
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            clerk.write({"endpoint": "http://127.0.0.1:1/steal"})

    def test_keys_never_logged(self):
        with self.assertLogs("odoo", "DEBUG") as logs:
            self.tencent.write({"secret_key": "the-new-secret"})
            account = self._opened("rights-log")
            self._send()
        self.assertEqual(self._log(account).state, "failed")  # the fake knows the old key
        self.assertFalse([line for line in logs.output if "the-new-secret" in line])
        # the sender's own lines mask the number
        ours = [line for line in logs.output if "zm_sms" in line and "SMS " in line]
        self.assertTrue(ours)
        self.assertFalse([line for line in ours if "13912345678" in line])

    def test_resend_is_for_managers(self):
        self.tencent.secret_key = "wrong"
        account = self._opened("rights-resend")
        self._send()
        message = self._log(account)
        self.assertEqual(message.state, "failed")
        with self.assertRaises(AccessError):
            message.with_user(self.operator).action_resend()
        self.tencent.secret_key = "tencent-secret-made-up-by-the-test"
        message.with_user(self.manager).action_resend()
        self._send()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.fake.sent), 1)
