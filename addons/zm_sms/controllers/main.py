import hmac
import json
import logging
import time
from datetime import datetime

from odoo import http
from odoo.http import request

from ..tools.sms_providers import CHINA

_logger = logging.getLogger(__name__)

#: a receipt batch larger than this is refused (providers send at most a few hundred)
MAX_BODY = 1 << 20
MAX_ITEMS = 1000


def _china_time(text):
    try:
        return datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S") - CHINA
    except (TypeError, ValueError, OverflowError):
        return None


def _text(value, size=64):
    """A receipt's text field as a printable string, else ''."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return ""
    text = str(value)
    return text if len(text) <= size and text.isprintable() else ""


#: refused receipt calls are logged at most this often (seconds)
_REFUSAL_LOG_EVERY = 60
_last_refusal_log = [0.0]


class ZmSmsReceipts(http.Controller):
    """Delivery receipts pushed by Tencent Cloud and Aliyun.

    The providers do not sign their receipts; the URL carries a per-provider secret
    token instead (shown to administrators on the provider). A receipt only moves a
    message this provider sent, with that reference, from sent to delivered or not.
    """

    def _provider(self, kind, provider_id, token):
        provider = request.env["zm.sms.provider"].sudo().browse(provider_id).exists()
        if (
            not provider
            or provider.kind != kind
            or not provider.report_token
            or not hmac.compare_digest(provider.report_token.encode(), (token or "").encode())
        ):
            now = time.monotonic()
            if now - _last_refusal_log[0] >= _REFUSAL_LOG_EVERY:
                _last_refusal_log[0] = now
                _logger.warning(
                    "SMS receipt refused: unknown provider or token (%s %s) from %s "
                    "(further refusals within %s s are not logged)",
                    kind,
                    provider_id,
                    request.httprequest.remote_addr,
                    _REFUSAL_LOG_EVERY,
                )
            return None
        return provider

    def _items(self):
        if (request.httprequest.content_length or 0) > MAX_BODY:
            return None
        raw = request.httprequest.get_data(cache=False)
        if len(raw) > MAX_BODY:
            return None
        try:
            items = json.loads(raw or b"[]")
        except (ValueError, RecursionError):
            return None
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            return None
        return [item for item in items if isinstance(item, dict)]

    def _answer(self, body, status=200):
        return request.make_json_response(body, status=status)

    @http.route(
        "/zm_sms/report/tencent/<int:provider_id>/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def tencent_report(self, provider_id, token, **kw):
        provider = self._provider("tencent", provider_id, token)
        if not provider:
            return self._answer({"result": 1, "errmsg": "forbidden"}, 403)
        items = self._items()
        if items is None:
            return self._answer({"result": 1, "errmsg": "bad request"}, 400)
        request.env["zm.sms.message"].sudo()._zm_receipts(
            provider,
            [
                (
                    _text(item.get("sid")),
                    "+{}{}".format(
                        _text(item.get("nationcode")) or "86", _text(item.get("mobile"))
                    ),
                    item.get("report_status") == "SUCCESS",
                    _text(item.get("report_status"))
                    + (":" + _text(item.get("errmsg")) if _text(item.get("errmsg")) else ""),
                    _china_time(item.get("user_receive_time")),
                )
                for item in items
            ],
        )
        return self._answer({"result": 0, "errmsg": "OK"})

    @http.route(
        "/zm_sms/report/aliyun/<int:provider_id>/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def aliyun_report(self, provider_id, token, **kw):
        provider = self._provider("aliyun", provider_id, token)
        if not provider:
            return self._answer({"code": 1, "msg": "forbidden"}, 403)
        items = self._items()
        if items is None:
            return self._answer({"code": 1, "msg": "bad request"}, 400)
        request.env["zm.sms.message"].sudo()._zm_receipts(
            provider,
            [
                (
                    _text(item.get("biz_id")),
                    None,  # Aliyun masks the number in receipts
                    item.get("success") is True,
                    _text(item.get("err_code")),
                    _china_time(item.get("report_time")),
                )
                for item in items
            ],
        )
        return self._answer({"code": 0, "msg": "OK"})
