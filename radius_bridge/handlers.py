"""Request handlers behind the protocol: Access-Request, Accounting-Request, Status-Server.

A handler returns the reply bytes, None (no reply) or an awaitable of either. Answering a
cache hit synchronously saves a task per packet; only a cache miss, a session-limit check or
an accounting commit waits.
"""

from __future__ import annotations

import asyncio
import os
import unicodedata
from datetime import UTC, datetime

from zm_rules.contract import NOBODY

from . import auth, policy
from . import packets as P
from .cache import MISSING
from .records import to_record

MS_CHAP_RESPONSE = 1  # MS-CHAPv1 (RFC 2548 §2.1.3): out of contract
MS_CHAP_ERROR = 2
MS_MPPE_ENCRYPTION_POLICY = 7
MS_MPPE_ENCRYPTION_TYPES = 8
MS_CHAP_CHALLENGE = 11
MS_MPPE_SEND_KEY = 16
MS_MPPE_RECV_KEY = 17
MS_CHAP2_RESPONSE = 25
MS_CHAP2_SUCCESS = 26
_MS = P.VENDOR_MICROSOFT


def account_name(raw: bytes, strip_realm: bool) -> str:
    """The account a User-Name means, as the provider stores it: NFKC (a full-width
    ``ＵＳＥＲ１`` typed on a phone is ``user1``), trimmed, lower-cased."""
    name = P.safe_text(raw)
    if strip_realm and "@" in name:
        name = name.rsplit("@", 1)[0]
    return unicodedata.normalize("NFKC", name).strip().lower()


# Requests whose credentials are never checked: rejected with this reason in the auth log
# (a Reject, not a silent drop: another server would refuse them just the same, so the NAS
# gains nothing by retrying and failing over).
CREDENTIAL_ERRORS = {
    "pap+chap": "conflicting credentials",
    "mschapv1": "unsupported method",
    "eap": "unsupported method",
}

# MS-CHAP-Error codes (RFC 2433 §5 / RFC 2759 §6) by decision reason: a client shows the
# subscriber why, and only once the password was right (691 otherwise).
MSCHAP_CODES = {
    "account paused": 647,  # ERROR_ACCOUNT_DISABLED
    "account cancelled": 647,
    "account expired": 647,
    "in arrears": 647,
    "unknown state": 647,
    "mac not bound": 649,  # ERROR_NO_DIALIN_PERMISSION
    "nas not bound": 649,
    "service type": 649,
    "session limit": 649,
}


class AuthHandler:
    def __init__(self, cache, online, authlog, metrics, settings, policy_cfg, crypt):
        self.cache = cache
        self.online = online
        self.authlog = authlog
        self.metrics = metrics
        self.settings = settings
        self.reject_reasons = policy_cfg.reject_reasons
        self.reject_message = policy_cfg.reject_message.encode()[:253]
        self.crypt = crypt

    def access_request(self, req: P.Request, nas):
        raw = req.get(P.USER_NAME)
        if not raw:
            self.metrics.inc("dropped_total", "no_user_name")
            return None
        username = account_name(raw, nas.strip_realm)
        row = self.cache.peek(username)
        if row is MISSING:
            self.metrics.inc("cache_total", "miss")
            # Callbacks rather than a task per miss: concurrent misses share one query.
            lookup = self.cache.fetch(username)
            if lookup is None:  # too many lookups already wait: the NAS retries
                return None
            out = lookup.get_loop().create_future()
            lookup.add_done_callback(lambda f: self._after_lookup(f, out, req, nas, username))
            return out
        self.metrics.inc("cache_total", "hit")
        return self._answer(req, nas, username, row, None)

    def _after_lookup(self, lookup, out, req, nas, username) -> None:
        if out.done():
            return
        if lookup.cancelled() or lookup.exception() is not None:
            self.metrics.inc("dropped_total", "db_unavailable")
            out.set_result(None)
            return
        try:
            result = self._answer(req, nas, username, lookup.result(), None)
        except Exception as exc:
            out.set_exception(exc)
            return
        if result is None or result.__class__ is bytes:
            out.set_result(result)
        else:  # a crypt check or the session-limit recount: one more wait
            task = asyncio.ensure_future(result)
            task.add_done_callback(
                lambda t: out.done() or out.set_result(None if t.exception() else t.result())
            )

    def _answer(self, req, nas, username, row, known, crypt_ok=None):
        """``known``: live + pending sessions after an exact recount, else None;
        ``crypt_ok``: the result of the imported-hash check, once it ran."""
        method, ok, mschap = self._check_password(req, nas, row, crypt_ok)
        credential_error = CREDENTIAL_ERRORS.get(method)
        if ok is None:
            return self._crypt_then_answer(req, nas, username, row, known)
        mac = req.text(P.CALLING_STATION_ID)
        ident = policy.port_ident(nas.id, mac, req.text(P.NAS_PORT_ID) or _port(req))
        online = 0
        limit = None if row is None else row["session_limit"]
        if limit is not None:
            if known is None:
                online = self.online.online(username, ident)
                if online >= limit - 1:
                    online = limit  # one place left or none: only the database can tell
            else:
                online = known
        services = tuple(
            int.from_bytes(v, "big") for v in req.attrs.get(P.SERVICE_TYPE, ()) if len(v) == 4
        )
        facts = policy.Facts(username, ok, mac, online, services, credential_error)
        now = datetime.now(UTC)
        decision = policy.decide(row, nas, facts, now, self.settings)
        if decision.reason == "session limit" and known is None:
            return self._recount(req, nas, username, row, ident, crypt_ok)
        if limit is not None and decision.accept:
            self.online.reserve(username, ident)
        self.authlog.add(
            now, username, nas.id, facts.calling_station_id, method, decision.accept,
            decision.reason, NOBODY if row is None else row["account_id"],
        )  # fmt: skip
        self.metrics.inc("auth_total", "accept" if decision.accept else "reject")
        attrs = decision.attributes
        if decision.first_dial is not None:
            self.authlog.first_dial(decision.first_dial)
        if not decision.accept:
            shown = "unknown user" if decision.reason == policy.FOREIGN else decision.reason
            text = shown.encode() if self.reject_reasons else self.reject_message
            if text:
                attrs += P.encode_attr(P.REPLY_MESSAGE, text)
        if mschap is not None:
            attrs += self._mschap_attributes(req, nas, mschap, decision)
        code = P.ACCESS_ACCEPT if decision.accept else P.ACCESS_REJECT
        return P.build_reply(code, req, attrs, nas.secret, nas.hmac)

    async def _crypt_then_answer(self, req, nas, username, row, known):
        plain = P.decrypt_user_password(req.get(P.USER_PASSWORD), nas.secret, req.authenticator)
        check = self.crypt.check(plain or b"", row["password_crypt"])
        if check is None:
            self.metrics.inc("dropped_total", "crypt_queue_full")
            return None
        ok = plain is not None and await check
        result = self._answer(req, nas, username, row, known, ok)
        if result is None or result.__class__ is bytes:
            return result
        return await result

    async def _recount(self, req, nas, username, row, ident, crypt_ok):
        try:
            live = await self.online.exact(username)
        except Exception:
            self.metrics.inc("dropped_total", "db_unavailable")
            return None
        # No await from here to the reservation: a racing login sees this one's reservation.
        known = live + self.online.pending_count(username, ident)
        return self._answer(req, nas, username, row, known, crypt_ok)

    def _check_password(self, req, nas, row, crypt_ok):
        """(method, password_ok or None = "needs the crypt check", mschap result or None)."""
        password = req.get(P.USER_PASSWORD)
        chap = req.get(P.CHAP_PASSWORD)
        if password is not None and chap is not None:
            return "pap+chap", False, None  # RFC 2865 §4.1: MUST NOT contain both
        account = None
        # another company's account is checked like a name no account has: no NT-hash or
        # crypt work its NAS could time (a password and account oracle, a crypt-pool lever)
        if row is not None and policy.same_company(row, nas):
            account = auth.Account(row["password_clear"], row["nt_hash"], row["password_crypt"])
        if password is not None:
            if account is not None and auth.needs_crypt(account):
                return "pap", crypt_ok, None
            plain = P.decrypt_user_password(password, nas.secret, req.authenticator)
            return (
                "pap",
                bool(account and plain is not None and auth.check_pap(account, plain)),
                None,
            )
        if chap is not None:
            challenge = req.get(P.CHAP_CHALLENGE) or req.authenticator
            return "chap", bool(account and auth.check_chap(account, chap, challenge)), None
        response = req.vendor_attr(_MS, MS_CHAP2_RESPONSE)
        challenge = req.vendor_attr(_MS, MS_CHAP_CHALLENGE)
        if response is not None and challenge is not None:
            if account is None:
                return "mschapv2", False, auth.MschapResult(False, response[:1] or b"\0")
            result = auth.check_mschap2(account, challenge, response, req.get(P.USER_NAME))
            return "mschapv2", result.ok, result
        if P.EAP_MESSAGE in req.attrs:
            return "eap", False, None
        if req.vendor_attr(_MS, MS_CHAP_RESPONSE) is not None:
            return "mschapv1", False, None
        return "none", False, None

    def _mschap_attributes(self, req, nas, result, decision) -> bytes:
        if not decision.accept or not result.ok:
            code = MSCHAP_CODES.get(decision.reason, 691) if result.ok else 691
            return P.encode_vsa(_MS, MS_CHAP_ERROR, result.ident + b"E=%d R=0 V=3" % code)
        auth_ = req.authenticator
        send_salt, recv_salt = _salts()
        send = P.salt_encrypt(result.send_key, nas.secret, auth_, send_salt)
        recv = P.salt_encrypt(result.recv_key, nas.secret, auth_, recv_salt)
        return (
            P.encode_vsa(_MS, MS_CHAP2_SUCCESS, result.success)
            + P.encode_vsa(_MS, MS_MPPE_RECV_KEY, recv)
            + P.encode_vsa(_MS, MS_MPPE_SEND_KEY, send)
            + P.encode_vsa(_MS, MS_MPPE_ENCRYPTION_POLICY, (1).to_bytes(4, "big"))
            + P.encode_vsa(_MS, MS_MPPE_ENCRYPTION_TYPES, (6).to_bytes(4, "big"))
        )


def _port(req: P.Request) -> str | None:
    port = req.integer(P.NAS_PORT)
    return None if port is None else str(port)


def _salts() -> tuple[bytes, bytes]:
    """Two salts for the MPPE keys, never equal (RFC 2548 §2.4.2: each salt is unique)."""
    first = _salt()
    second = _salt()
    while second == first:
        second = _salt()
    return first, second


def _salt() -> bytes:
    salt = bytearray(os.urandom(2))
    salt[0] |= 0x80  # RFC 2548 §2.4.2: the salt's high bit is set
    return bytes(salt)


class AcctHandler:
    def __init__(self, writer, metrics, max_queue: int, max_delay: int):
        self.writer = writer
        self.metrics = metrics
        self.max_queue = max_queue
        self.max_delay = max_delay

    def accounting_request(self, req: P.Request, nas, arrival: float):
        raw = req.get(P.USER_NAME)
        username = account_name(raw, nas.strip_realm) if raw else ""
        try:
            record = to_record(req, nas, username, arrival, self.max_delay)
        except P.Malformed:
            self.metrics.inc("dropped_total", "malformed")
            return None
        reply = P.build_reply(P.ACCOUNTING_RESPONSE, req, b"", nas.secret, nas.hmac)
        if record is None:
            return reply
        if self.writer.backlog() >= self.max_queue:
            # The database is not keeping up: unanswered, the NAS retries or fails over.
            self.metrics.inc("dropped_total", "accounting_backlog")
            return None
        fut = asyncio.get_running_loop().create_future()

        def done(ok: bool) -> None:
            if not fut.done():
                fut.set_result(reply if ok else None)

        self.writer.submit(record, done)
        return fut


def status_reply(req: P.Request, nas, code: int) -> bytes:
    """RFC 5997: answer Status-Server with Access-Accept (auth) / Accounting-Response."""
    return P.build_reply(
        code, req, P.encode_attr(P.REPLY_MESSAGE, b"radius_bridge alive"), nas.secret, nas.hmac
    )
