"""Tencent Cloud SMS and Aliyun SMS as they look from the network, on loopback.

No Odoo import: the Odoo tests, the pytest suite (which drives the providers' official
SDKs against it) and ``bench/sms_reminders.py`` all use it.

Each request's signature is checked the way the provider documents it - recomputed
from the request as received, with the key the test made up - and a request that
fails the check is answered with the provider's own authentication error and not
recorded. Faults can be queued for the next send requests:

- ``http500``: a gateway error page, nothing recorded (the message did not go out);
- ``throttle``: the provider's rate-limit error (certainly not sent);
- ``internal``: recorded as sent, answered with Tencent's ``InternalError.Timeout``;
- ``hang``: the message is recorded as sent, then no answer before the client gives up;
  (Tencent's status list shows a message once it has a delivery report: at once with
  ``auto_report``, else after ``report_all()``; Aliyun's shows it at once, waiting for
  its report);
- ``drop``: recorded as sent, then the connection is closed without an answer.
"""

import contextlib
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

TC3_WINDOW = 300  # Tencent accepts a timestamp within 5 minutes
ACS3_WINDOW = 900  # Aliyun within 15 minutes


class FakeSmsProviders:
    def __init__(self, tencent_keys=None, aliyun_keys=None, hang_seconds=3.0, auto_report=True):
        self.tencent_keys = dict(tencent_keys or {})
        self.aliyun_keys = dict(aliyun_keys or {})
        self.hang_seconds = hang_seconds
        # Tencent's status list holds delivery reports: a message to a phone that is off
        # is not in it until the handset takes it (``report_all``)
        self.auto_report = auto_report
        self.sent = []  # dicts: provider, phone, template, params, context, ref, at
        self.refused = []  # (provider, reason)
        self.faults = []
        self.nonces = set()
        self.requests = 0
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    # -- life ----------------------------------------------------------------------

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fail_next(self, *faults):
        with self.lock:
            self.faults.extend(faults)

    def count(self, context=None, phone=None):
        with self.lock:
            return sum(
                1
                for item in self.sent
                if (context is None or item["context"] == context)
                and (phone is None or item["phone"] == phone)
            )

    def report_all(self):
        """Every message sent so far reached its handset."""
        with self.lock:
            for item in self.sent:
                item["reported"] = True

    def reset(self):
        with self.lock:
            self.sent.clear()
            self.refused.clear()
            self.faults.clear()

    # -- dispatch ------------------------------------------------------------------

    def _handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            self.requests += 1
        if handler.headers.get("X-TC-Action"):
            status, answer, fault = self._tencent(handler, body)
        else:
            status, answer, fault = self._aliyun(handler, body)
        if fault == "hang":
            time.sleep(self.hang_seconds)
        if fault in ("hang", "drop"):
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(2)
            return
        if fault == "http500":
            payload = b"<html>502 Bad Gateway</html>"
            handler.send_response(502)
            handler.send_header("Content-Type", "text/html")
        else:
            payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _take_fault(self):
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def _record(self, **item):
        item.setdefault("ref", uuid.uuid4().hex[:20])
        item["at"] = time.time()
        item["reported"] = self.auto_report
        with self.lock:
            self.sent.append(item)
        return item

    # -- Tencent Cloud (TC3-HMAC-SHA256) ---------------------------------------------

    def _tc3_check(self, handler, body):
        auth = handler.headers.get("Authorization") or ""
        if not auth.startswith("TC3-HMAC-SHA256 "):
            return "AuthFailure.SignatureFailure"
        parts = {}
        for piece in auth[len("TC3-HMAC-SHA256 ") :].split(","):
            key, __, value = piece.strip().partition("=")
            parts[key] = value
        credential = parts.get("Credential", "").split("/")
        if len(credential) != 4 or credential[2] != "sms" or credential[3] != "tc3_request":
            return "AuthFailure.SignatureFailure"
        secret_id, date = credential[0], credential[1]
        secret_key = self.tencent_keys.get(secret_id)
        if secret_key is None:
            return "AuthFailure.SecretIdNotFound"
        try:
            stamp = int(handler.headers.get("X-TC-Timestamp") or "")
        except ValueError:
            return "AuthFailure.SignatureFailure"
        if abs(time.time() - stamp) > TC3_WINDOW:
            return "AuthFailure.SignatureExpire"
        if datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d") != date:
            return "AuthFailure.SignatureFailure"
        signed = parts.get("SignedHeaders", "").split(";")
        if "content-type" not in signed or "host" not in signed:
            return "AuthFailure.SignatureFailure"
        canonical_headers = ""
        for name in signed:
            value = (handler.headers.get(name) or "").strip()
            if name == "x-tc-action":
                value = value.lower()
            canonical_headers += f"{name}:{value}\n"
        canonical = (
            f"POST\n/\n\n{canonical_headers}\n{';'.join(signed)}\n"
            + hashlib.sha256(body).hexdigest()
        )
        to_sign = (
            f"TC3-HMAC-SHA256\n{stamp}\n{date}/sms/tc3_request\n"
            + hashlib.sha256(canonical.encode()).hexdigest()
        )
        key = ("TC3" + secret_key).encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("Signature", "")):
            return "AuthFailure.SignatureFailure"
        return None

    def _tencent(self, handler, body):
        def error(code, message="refused"):
            return 200, {"Response": {"Error": {"Code": code, "Message": message},
                                      "RequestId": uuid.uuid4().hex}}, None  # fmt: skip

        problem = self._tc3_check(handler, body)
        if problem:
            with self.lock:
                self.refused.append(("tencent", problem))
            return error(problem)
        try:
            data = json.loads(body)
        except ValueError:
            return error("InvalidParameter", "bad json")
        action = handler.headers.get("X-TC-Action")
        if action == "PullSmsSendStatusByPhoneNumber":
            with self.lock:
                found = [
                    {
                        "PhoneNumber": item["phone"],
                        "SerialNo": item["ref"],
                        "ReportStatus": "SUCCESS",
                        "SessionContext": item["context"],
                        "UserReceiveTime": int(item["at"]),
                    }
                    for item in self.sent
                    if item["provider"] == "tencent"
                    and item["reported"]
                    and item["phone"] == data.get("PhoneNumber")
                    and data.get("BeginTime", 0) <= item["at"] <= data.get("EndTime", 2**40)
                ]
            offset, limit = int(data.get("Offset") or 0), int(data.get("Limit") or 100)
            page = found[offset : offset + limit]
            return 200, {"Response": {"PullSmsSendStatusSet": page,
                                      "RequestId": uuid.uuid4().hex}}, None  # fmt: skip
        if action != "SendSms":
            return error("InvalidAction")
        phones = data.get("PhoneNumberSet") or []
        if not data.get("SmsSdkAppId") or not data.get("TemplateId") or not phones:
            return error("MissingParameter")
        fault = self._take_fault()
        if fault == "throttle":
            return error("LimitExceeded.PhoneNumberDailyLimit", "too many")
        if fault == "internal":
            # Tencent timed out inside: the message may or may not have gone out
            self._record(provider="tencent", phone=phones[0], template=data["TemplateId"],
                         params=data.get("TemplateParamSet") or [],
                         context=data.get("SessionContext") or "", sign=data.get("SignName"))  # fmt: skip
            return error("InternalError.Timeout", "timeout")
        if fault == "http500":
            return 502, {}, "http500"
        statuses = []
        for phone in phones:
            if not phone.startswith("+") or not phone[1:].isdigit():
                statuses.append({"PhoneNumber": phone, "Code": "InvalidParameterValue.IncorrectPhoneNumber",
                                 "Message": "bad number", "SerialNo": "", "Fee": 0})  # fmt: skip
                continue
            item = self._record(
                provider="tencent",
                phone=phone,
                template=data["TemplateId"],
                params=data.get("TemplateParamSet") or [],
                context=data.get("SessionContext") or "",
                sign=data.get("SignName"),
            )
            statuses.append({"PhoneNumber": phone, "Code": "Ok", "Message": "send success",
                             "SerialNo": item["ref"], "Fee": 1,
                             "SessionContext": item["context"], "IsoCode": "CN"})  # fmt: skip
        answer = {"Response": {"SendStatusSet": statuses, "RequestId": uuid.uuid4().hex}}
        return 200, answer, fault

    # -- Aliyun (ACS3-HMAC-SHA256, RPC style) -----------------------------------------

    def _acs3_check(self, handler, body, raw_query):
        auth = handler.headers.get("Authorization") or ""
        if not auth.startswith("ACS3-HMAC-SHA256 "):
            return "IncompleteSignature"
        parts = dict(
            piece.strip().split("=", 1)
            for piece in auth[len("ACS3-HMAC-SHA256 ") :].split(",")
            if "=" in piece
        )
        secret = self.aliyun_keys.get(parts.get("Credential", ""))
        if secret is None:
            return "InvalidAccessKeyId.NotFound"
        signed = parts.get("SignedHeaders", "").split(";")
        for needed in ("host", "x-acs-action", "x-acs-content-sha256", "x-acs-date",
                       "x-acs-signature-nonce", "x-acs-version"):  # fmt: skip
            if needed not in signed:
                return "IncompleteSignature"
        if handler.headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return "IncompleteSignature"
        try:
            stamp = datetime.strptime(handler.headers.get("x-acs-date") or "", "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return "InvalidTimeStamp.Format"
        if abs(time.time() - stamp.replace(tzinfo=UTC).timestamp()) > ACS3_WINDOW:
            return "InvalidTimeStamp.Expired"
        nonce = handler.headers.get("x-acs-signature-nonce") or ""
        with self.lock:
            if not nonce or nonce in self.nonces:
                return "SignatureNonceUsed"
            self.nonces.add(nonce)
        pairs = parse_qsl(raw_query, keep_blank_values=True)
        canonical_query = "&".join(
            f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(pairs)
        )
        canonical_headers = "".join(
            f"{name}:{(handler.headers.get(name) or '').strip()}\n" for name in signed
        )
        canonical = (
            f"POST\n/\n{canonical_query}\n{canonical_headers}\n{';'.join(signed)}\n"
            + hashlib.sha256(body).hexdigest()
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("Signature", "")):
            return "SignatureDoesNotMatch"
        return None

    def _aliyun(self, handler, body):
        def error(code, message="refused", status=400):
            return status, {"Code": code, "Message": message, "RequestId": uuid.uuid4().hex}, None

        raw_query = urlsplit(handler.path).query
        problem = self._acs3_check(handler, body, raw_query)
        if problem:
            with self.lock:
                self.refused.append(("aliyun", problem))
            return error(problem, status=403 if "Signature" in problem else 400)
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        action = handler.headers.get("x-acs-action")
        if action == "QuerySendDetails":
            with self.lock:
                found = [
                    {
                        "PhoneNum": query.get("PhoneNumber"),
                        "SendStatus": 3 if item["reported"] else 1,
                        "ErrCode": "DELIVERED",
                        "TemplateCode": item["template"],
                        "OutId": item["context"],
                    }
                    for item in self.sent
                    if item["provider"] == "aliyun" and item["phone"] == query.get("PhoneNumber")
                ]
            size, number = int(query.get("PageSize") or 10), int(query.get("CurrentPage") or 1)
            page = found[(number - 1) * size : number * size]
            return 200, {"Code": "OK", "Message": "OK", "TotalCount": len(found),
                         "SmsSendDetailDTOs": {"SmsSendDetailDTO": page}}, None  # fmt: skip
        if action != "SendSms":
            return error("InvalidAction.NotFound")
        if not query.get("PhoneNumbers") or not query.get("TemplateCode"):
            return error("MissingParameter")
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return 200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "bad json"}, None
        fault = self._take_fault()
        if fault == "throttle":
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "too many"}, None
        if fault == "http500":
            return 502, {}, "http500"
        phone = query["PhoneNumbers"]
        if not phone.isdigit():
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad number"}, None
        item = self._record(
            provider="aliyun",
            phone=phone,
            template=query["TemplateCode"],
            params=params,
            context=query.get("OutId") or "",
            sign=query.get("SignName"),
        )
        return 200, {"Code": "OK", "Message": "OK", "BizId": item["ref"],
                     "RequestId": uuid.uuid4().hex}, fault  # fmt: skip
