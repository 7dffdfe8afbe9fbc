"""Tencent Cloud SMS and Aliyun SMS over their signed HTTP APIs.

Plain Python (``requests`` only, no Odoo import), so that the signatures can be checked
against the providers' official SDKs outside Odoo (``tests/sms``).

- Tencent Cloud SMS API 2021-01-11, TC3-HMAC-SHA256 signatures: ``SendSms`` and
  ``PullSmsSendStatusByPhoneNumber``.
- Aliyun Dysms API 2017-05-25, ACS3-HMAC-SHA256 (V3) signatures, RPC style: ``SendSms``
  and ``QuerySendDetails``.

Every call returns an :class:`Outcome`; nothing raises for a provider's answer. What
matters most is telling the outcomes apart, because a reminder must never go out twice:

- ``sent``: the provider took the message (its reference is kept for the receipt);
- ``failed``: the provider refused it for good (bad number, template, signature, keys);
- ``retry``: it certainly did not go out (no connection, throttled, the provider's own
  internal error before accepting) and may be tried again later;
- ``uncertain``: the request may have reached the provider but no answer came back (read
  timeout, connection cut, a 5xx from a gateway). Resending blindly could send it twice;
  the caller asks the provider's status list first (:meth:`sent_in`).
"""

import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

import requests

#: a request that cannot even connect within this many seconds is not waited for
CONNECT_TIMEOUT = 5
#: pages of a provider's status list read when looking for one message
STATUS_PAGES = 10


@dataclass
class Outcome:
    status: str  # sent / failed / retry / uncertain
    ref: str = ""  # the provider's message reference (Tencent SerialNo, Aliyun BizId)
    fee: int = 0  # billed segments, where the provider says
    code: str = ""
    message: str = ""
    extra: dict = field(default_factory=dict)


def _clip(text, size=500):
    text = str(text or "")
    return text if len(text) <= size else text[:size] + "…"


def _transport_outcome(exc):
    """A transport error: did the request possibly reach the provider?"""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Outcome("retry", code="connect_timeout", message=_clip(exc))
    if isinstance(exc, requests.exceptions.SSLError):
        return Outcome("retry", code="tls_error", message=_clip(exc))
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ReadTimeout
    ):
        # refused or reset: a reset after the request was written is not "certainly not sent"
        text = str(exc)
        if "Connection refused" in text or "Name or service not known" in text:
            return Outcome("retry", code="connect_error", message=_clip(exc))
        return Outcome("uncertain", code="connection_lost", message=_clip(exc))
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return Outcome("uncertain", code="read_timeout", message=_clip(exc))
    return Outcome("uncertain", code=type(exc).__name__, message=_clip(exc))


# ---------------------------------------------------------------------------
# Tencent Cloud
# ---------------------------------------------------------------------------

TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com"
TENCENT_VERSION = "2021-01-11"
TENCENT_CONTENT_TYPE = "application/json; charset=utf-8"
#: error codes after which the message certainly did not go out and may be tried again
TENCENT_RETRY = ("LimitExceeded", "RequestLimitExceeded")
#: error codes that do not say whether the message went out (a timeout inside Tencent)
TENCENT_UNCERTAIN = ("InternalError",)


def _sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256)


def tc3_headers(secret_id, secret_key, host, action, payload, timestamp, region, service="sms"):
    """The headers of a TC3-HMAC-SHA256 signed request (content-type, host and action
    signed, as Tencent's documentation recommends)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host;x-tc-action"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{TENCENT_CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n",
            signed_headers,
            _sha256_hex(payload),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n" + _sha256_hex(
        canonical_request.encode("utf-8")
    )
    k_date = _hmac(("TC3" + secret_key).encode("utf-8"), date).digest()
    k_service = _hmac(k_date, service).digest()
    k_signing = _hmac(k_service, "tc3_request").digest()
    signature = _hmac(k_signing, string_to_sign).hexdigest()
    return {
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}",
        "Content-Type": TENCENT_CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": TENCENT_VERSION,
        "X-TC-Region": region,
    }


class TencentSms:
    def __init__(
        self, secret_id, secret_key, app_id, sign_name, region="ap-guangzhou", endpoint="",
        timeout=10, session=None,
    ):  # fmt: skip
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.app_id = app_id
        self.sign_name = sign_name
        self.region = region or "ap-guangzhou"
        self.endpoint = (endpoint or TENCENT_ENDPOINT).rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _call(self, action, body):
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        host = urlsplit(self.endpoint).netloc
        headers = tc3_headers(
            self.secret_id, self.secret_key, host, action, payload, int(time.time()), self.region
        )
        response = self.session.post(
            self.endpoint + "/",
            data=payload,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, self.timeout),
            allow_redirects=False,
        )
        if response.status_code >= 500:
            # a gateway's error page: the request may or may not have been handled
            return None, Outcome("uncertain", code=f"http_{response.status_code}")
        try:
            data = response.json()["Response"]
        except (ValueError, KeyError, TypeError):
            return None, Outcome(
                "uncertain" if response.ok else "failed",
                code=f"http_{response.status_code}",
                message=_clip(response.text, 200),
            )
        error = data.get("Error")
        if error:
            code = str(error.get("Code") or "")
            return None, Outcome(
                _tencent_status(code), code=code, message=_clip(error.get("Message"))
            )
        return data, None

    def send(self, phone, template_id, params, context):
        """Send one templated message to one E.164 number; ``context`` (our id) comes back
        in the provider's status list."""
        body = {
            "PhoneNumberSet": [phone],
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": [str(value) for value in params],
            "SessionContext": context,
        }
        try:
            data, outcome = self._call("SendSms", body)
        except requests.exceptions.RequestException as exc:
            return _transport_outcome(exc)
        if outcome:
            return outcome
        statuses = data.get("SendStatusSet") or []
        if len(statuses) != 1:
            return Outcome("uncertain", code="bad_answer", message=_clip(data))
        status = statuses[0]
        code = str(status.get("Code") or "")
        if code == "Ok":
            return Outcome(
                "sent",
                ref=str(status.get("SerialNo") or ""),
                fee=int(status.get("Fee") or 0),
                code=code,
                message=_clip(status.get("Message")),
            )
        return Outcome(_tencent_status(code), code=code, message=_clip(status.get("Message")))

    def sent_in(self, phone, context, since, until):
        """Whether Tencent's status list shows our message ``context`` to ``phone``
        between the two instants (UNIX seconds): (True, serial number) when it does, else
        (None, ""). Never False: the list holds delivery reports, and a message to a
        phone that is off has none yet - not finding it proves nothing."""
        # one page: Tencent documents the offset as fixed at 0 (the window is short)
        body = {
            "BeginTime": int(since),
            "EndTime": int(until),
            "Offset": 0,
            "Limit": 100,
            "PhoneNumber": phone,
            "SmsSdkAppId": self.app_id,
        }
        try:
            data, outcome = self._call("PullSmsSendStatusByPhoneNumber", body)
        except requests.exceptions.RequestException:
            return None, ""
        if outcome:
            return None, ""
        for status in data.get("PullSmsSendStatusSet") or []:
            if status.get("SessionContext") == context:
                return True, str(status.get("SerialNo") or "")
        return None, ""


def _tencent_status(code):
    if code.startswith(TENCENT_RETRY):
        return "retry"
    if code.startswith(TENCENT_UNCERTAIN):
        return "uncertain"
    return "failed"


# ---------------------------------------------------------------------------
# Aliyun
# ---------------------------------------------------------------------------

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com"
ALIYUN_VERSION = "2017-05-25"
#: both providers write their times in China time (send details, receipts)
CHINA = timedelta(hours=8)
#: codes after which the message certainly did not go out and may be tried again
ALIYUN_RETRY = (
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "Throttling",
    "SignatureNonceUsed",
)
#: codes that do not say whether the message went out
ALIYUN_UNCERTAIN = ("InternalError", "ServiceUnavailable")


def _aliyun_quote(value):
    return quote(str(value), safe="~", encoding="utf-8")


def acs3_request(access_key_id, access_key_secret, host, action, query, now=None, nonce=None):
    """The query string and headers of an ACS3-HMAC-SHA256 signed RPC request (POST,
    parameters in the query, empty body)."""
    now = now or datetime.now(UTC)
    payload_hash = _sha256_hex(b"")
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-content-sha256": payload_hash,
        "x-acs-date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-version": ALIYUN_VERSION,
    }
    canonical_query = "&".join(
        f"{_aliyun_quote(key)}={_aliyun_quote(query[key])}" for key in sorted(query)
    )
    signed = sorted(headers)
    canonical_headers = "".join(f"{key}:{headers[key].strip()}\n" for key in signed)
    signed_headers = ";".join(signed)
    canonical_request = "\n".join(
        ["POST", "/", canonical_query, canonical_headers, signed_headers, payload_hash]
    )
    string_to_sign = "ACS3-HMAC-SHA256\n" + _sha256_hex(canonical_request.encode("utf-8"))
    signature = hmac.new(
        access_key_secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    headers["Authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={signed_headers},"
        f"Signature={signature}"
    )
    return canonical_query, headers


def aliyun_number(phone):
    """Aliyun's number format: 11 digits in mainland China, else country code and number."""
    digits = phone.lstrip("+")
    return digits[2:] if digits.startswith("86") else digits


class AliyunSms:
    def __init__(
        self, access_key_id, access_key_secret, sign_name, endpoint="", timeout=10, session=None
    ):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = (endpoint or ALIYUN_ENDPOINT).rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _call(self, action, query):
        host = urlsplit(self.endpoint).netloc
        query_string, headers = acs3_request(
            self.access_key_id, self.access_key_secret, host, action, query
        )
        response = self.session.post(
            f"{self.endpoint}/?{query_string}",
            data=b"",
            headers=headers,
            timeout=(CONNECT_TIMEOUT, self.timeout),
            allow_redirects=False,
        )
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            status = "uncertain" if response.status_code >= 500 or response.ok else "failed"
            return None, Outcome(
                status, code=f"http_{response.status_code}", message=_clip(response.text, 200)
            )
        code = str(data.get("Code") or "")
        if code != "OK":
            status = "retry" if code.startswith(ALIYUN_RETRY) else "failed"
            if code.startswith(ALIYUN_UNCERTAIN) or (not code and response.status_code >= 500):
                status = "uncertain"
            return None, Outcome(status, code=code, message=_clip(data.get("Message")))
        return data, None

    def send(self, phone, template_code, params, context):
        query = {
            "PhoneNumbers": aliyun_number(phone),
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "OutId": context,
        }
        try:
            data, outcome = self._call("SendSms", query)
        except requests.exceptions.RequestException as exc:
            return _transport_outcome(exc)
        if outcome:
            return outcome
        return Outcome("sent", ref=str(data.get("BizId") or ""), code="OK")

    def sent_in(self, phone, context, since, until):
        """Whether Aliyun's send details for ``phone`` on the days of the window show our
        ``context`` (OutId): (True, "") or (False, "") once every page was read - Aliyun
        lists a message from the moment it took it, report or not - or (None, "") when
        it cannot say."""
        first = datetime.fromtimestamp(since, timezone(CHINA)).date()
        last = datetime.fromtimestamp(until, timezone(CHINA)).date()
        # every day of the window, in China time (Aliyun keeps 30 days of details)
        days = [
            (first + timedelta(days=n)).strftime("%Y%m%d")
            for n in range(min((last - first).days + 1, 30))
        ]
        for day in days:
            for page in range(1, STATUS_PAGES + 1):
                query = {
                    "PhoneNumber": aliyun_number(phone),
                    "SendDate": day,
                    "PageSize": 50,
                    "CurrentPage": page,
                }
                try:
                    data, outcome = self._call("QuerySendDetails", query)
                except requests.exceptions.RequestException:
                    return None, ""
                if outcome:
                    return None, ""
                details = (data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
                if any(detail.get("OutId") == context for detail in details):
                    return True, ""
                try:
                    total = int(data.get("TotalCount") or 0)
                except (TypeError, ValueError):
                    return None, ""
                if page * 50 >= total:
                    break
            else:
                return None, ""  # more pages than we read: cannot say
        return False, ""


def new_token():
    """A secret for a provider's receipt URL."""
    return secrets.token_urlsafe(24)


def segments(text):
    """Billed segments of a Chinese SMS: 70 characters in one, 67 per part beyond."""
    length = len(text or "")
    return 1 if length <= 70 else -(-length // 67)
