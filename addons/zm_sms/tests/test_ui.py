from odoo.tests import HttpCase, new_test_user, tagged

from .common import ZmSmsCommon


@tagged("post_install", "-at_install")
class TestSmsTours(ZmSmsCommon, HttpCase):
    """The SMS log in a real browser: a clerk on an account's form, a manager resending."""

    def test_clerk_sees_the_accounts_sms(self):
        account = self._opened("tour-sms-ok")
        self._send()
        url = f"/odoo/action-zm_broadband.zm_subscriber_action/{account.id}"
        self.start_tour(url, "zm_sms_clerk_tour", login=self.operator.login)

    def test_manager_resends_a_failed_sms(self):
        self.tencent.secret_key = "wrong"
        account = self._opened("tour-sms-failed")
        self._send()
        message = self._log(account)
        self.assertEqual(message.state, "failed")
        manager = new_test_user(
            self.env, login="zm_sms_tour_manager", groups="zm_broadband.group_manager",
            company_id=self.company.id,
        )  # fmt: skip
        self.start_tour(
            "/odoo/action-zm_sms.zm_sms_message_action", "zm_sms_manager_tour", login=manager.login
        )
        message.invalidate_recordset()
        self.assertEqual((message.state, message.attempts), ("queued", 0))
