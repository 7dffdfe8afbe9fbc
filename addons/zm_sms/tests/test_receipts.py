import json
from datetime import timedelta

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import ZmSmsCommon


def china(naive_utc):
    """A receipt time as both providers write it: China time, to the second."""
    return (naive_utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


@tagged("post_install", "-at_install")
class TestReceipts(ZmSmsCommon, HttpCase):
    def _post(self, path, items):
        return self.url_open(
            path, data=json.dumps(items), headers={"Content-Type": "application/json"}
        )

    def test_tencent_receipt(self):
        account = self._opened("rcpt-1")
        self._send()
        message = self._log(account)
        provider = self.tencent.sudo()
        item = {
            "user_receive_time": china(message.sent_at + timedelta(seconds=64)),
            "nationcode": "86",
            "mobile": "13912345678",
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "sid": message.provider_ref,
        }
        with mute_logger("odoo.addons.zm_sms.controllers.main"):
            wrong = self._post(f"/zm_sms/report/tencent/{provider.id}/not-the-token", [item])
            other_kind = self._post(
                f"/zm_sms/report/aliyun/{provider.id}/{provider.report_token}", [item]
            )
        self.assertEqual((wrong.status_code, other_kind.status_code), (403, 403))
        message.invalidate_recordset()
        self.assertEqual(message.state, "sent")
        # a receipt for another number or reference moves nothing
        forged = dict(item, mobile="13800000001")
        ok = self._post(f"/zm_sms/report/tencent/{provider.id}/{provider.report_token}", [forged])
        self.assertEqual(ok.json(), {"result": 0, "errmsg": "OK"})
        message.invalidate_recordset()
        self.assertEqual(message.state, "sent")
        response = self._post(
            f"/zm_sms/report/tencent/{provider.id}/{provider.report_token}", [item]
        )
        self.assertEqual(response.json(), {"result": 0, "errmsg": "OK"})
        message.invalidate_recordset()
        self.assertEqual((message.state, message.receipt_code), ("delivered", "SUCCESS:DELIVRD"))
        self.assertEqual(message.delivered_at, message.sent_at + timedelta(seconds=64))
        sms = self.env["sms.sms"].search([("zm_message_id", "=", message.id)])
        self.assertEqual(sms.state, "sent")

    def test_aliyun_receipt_not_delivered_and_bad_bodies(self):
        self.tencent.active = False
        self.aliyun.active = True
        account = self._opened("rcpt-2")
        self._send()
        message = self._log(account)
        provider = self.aliyun.sudo()
        path = f"/zm_sms/report/aliyun/{provider.id}/{provider.report_token}"
        self.assertEqual(self._post(path, "not a list").status_code, 400)
        bad = self.url_open(path, data=b"\x00\xff{", headers={"Content-Type": "application/json"})
        self.assertEqual(bad.status_code, 400)
        response = self._post(
            path,
            [{"phone_number": "1391234****", "success": False, "err_code": "MK:0001",
              "biz_id": message.provider_ref, "report_time": china(message.sent_at)}],
        )  # fmt: skip
        self.assertEqual(response.json()["code"], 0)
        message.invalidate_recordset()
        self.assertEqual((message.state, message.receipt_code), ("undelivered", "MK:0001"))
