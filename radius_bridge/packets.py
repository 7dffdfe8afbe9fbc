"""RADIUS codec (RFC 2865 / 2866 / 3579): strict parsing, reply building, authenticators.

Hand-written for the hot path: one pass over the attributes, no dictionary, no objects per
attribute. Anything malformed raises :class:`Malformed`; the server drops such packets.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

ACCESS_REQUEST = 1
ACCESS_ACCEPT = 2
ACCESS_REJECT = 3
ACCOUNTING_REQUEST = 4
ACCOUNTING_RESPONSE = 5
ACCESS_CHALLENGE = 11
STATUS_SERVER = 12

MAX_LENGTH = 4096
HEADER = 20

# Attribute numbers used by the bridge (RFC 2865, 2866, 2869, 3162, 4818).
USER_NAME = 1
USER_PASSWORD = 2
CHAP_PASSWORD = 3
NAS_IP_ADDRESS = 4
NAS_PORT = 5
SERVICE_TYPE = 6
FRAMED_IP_ADDRESS = 8
FILTER_ID = 11
REPLY_MESSAGE = 18
CLASS = 25
VENDOR_SPECIFIC = 26
SESSION_TIMEOUT = 27
CALLED_STATION_ID = 30
CALLING_STATION_ID = 31
NAS_IDENTIFIER = 32
PROXY_STATE = 33
ACCT_STATUS_TYPE = 40
ACCT_DELAY_TIME = 41
ACCT_INPUT_OCTETS = 42
ACCT_OUTPUT_OCTETS = 43
ACCT_SESSION_ID = 44
ACCT_SESSION_TIME = 46
ACCT_TERMINATE_CAUSE = 49
ACCT_INPUT_GIGAWORDS = 52
ACCT_OUTPUT_GIGAWORDS = 53
EVENT_TIMESTAMP = 55
CHAP_CHALLENGE = 60
EAP_MESSAGE = 79
MESSAGE_AUTHENTICATOR = 80
ACCT_INTERIM_INTERVAL = 85
NAS_PORT_ID = 87
FRAMED_POOL = 88
FRAMED_IPV6_POOL = 100  # RFC 3162
DELEGATED_IPV6_PREFIX_POOL = 171  # RFC 6911

VENDOR_MICROSOFT = 311

_ZERO16 = bytes(16)
_MA_PLACEHOLDER = bytes((MESSAGE_AUTHENTICATOR, 18)) + _ZERO16
_HDR = struct.Struct("!BBH")


def safe_text(value: bytes) -> str:
    """Attribute octets as storable text: invalid UTF-8 and NUL become U+FFFD.

    RADIUS text is subscriber-controlled (User-Name, Calling-Station-Id via the CPE) and
    PostgreSQL refuses NUL in ``text``: one such byte must never fail a shared statement.
    """
    text = value.decode("utf-8", "replace")
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


class Malformed(ValueError):
    """The datagram is not a well-formed RADIUS packet."""


class Request:
    """A parsed request: header fields, raw bytes and attributes by type (values in order)."""

    __slots__ = ("code", "ident", "authenticator", "raw", "attrs", "ma_offset")

    def __init__(self, code, ident, authenticator, raw, attrs, ma_offset):
        self.code = code
        self.ident = ident
        self.authenticator = authenticator
        self.raw = raw
        self.attrs = attrs
        self.ma_offset = ma_offset

    def get(self, attr_type: int) -> bytes | None:
        values = self.attrs.get(attr_type)
        return values[0] if values else None

    def text(self, attr_type: int) -> str | None:
        """The value as text PostgreSQL accepts whatever the NAS sent (see :func:`safe_text`)."""
        value = self.get(attr_type)
        return None if value is None else safe_text(value)

    def integer(self, attr_type: int) -> int | None:
        value = self.get(attr_type)
        return int.from_bytes(value, "big") if value is not None and len(value) == 4 else None

    def vendor_attr(self, vendor: int, sub_type: int) -> bytes | None:
        """First value of a vendor sub-attribute (RFC 2865 §5.26 layout)."""
        for vsa in self.attrs.get(VENDOR_SPECIFIC, ()):
            if len(vsa) < 6 or int.from_bytes(vsa[:4], "big") != vendor:
                continue
            pos, end = 4, len(vsa)
            while pos + 2 <= end:
                t, ln = vsa[pos], vsa[pos + 1]
                if ln < 2 or pos + ln > end:
                    break
                if t == sub_type:
                    return vsa[pos + 2 : pos + ln]
                pos += ln
        return None


def parse(data: bytes) -> Request:
    """Parse and validate lengths strictly (RFC 2865 §3, §5); raise :class:`Malformed`."""
    size = len(data)
    if size < HEADER or size > MAX_LENGTH:
        raise Malformed("bad datagram size")
    code, ident, length = _HDR.unpack_from(data)
    if length < HEADER or length > size:
        raise Malformed("bad length field")
    if length < size:
        data = data[:length]  # RFC 2865 §3: octets beyond Length are padding
    attrs: dict[int, list[bytes]] = {}
    ma_offset = -1
    pos = HEADER
    while pos < length:
        if pos + 2 > length:
            raise Malformed("truncated attribute")
        t = data[pos]
        ln = data[pos + 1]
        if ln < 2:
            raise Malformed("attribute length < 2")
        end = pos + ln
        if end > length:
            raise Malformed("attribute overruns packet")
        if t == MESSAGE_AUTHENTICATOR:
            if ln != 18 or ma_offset >= 0:
                raise Malformed("bad Message-Authenticator")
            ma_offset = pos + 2
        values = attrs.get(t)
        if values is None:
            attrs[t] = [data[pos + 2 : end]]
        else:
            values.append(data[pos + 2 : end])
        pos = end
    return Request(code, ident, data[4:20], data, attrs, ma_offset)


def verify_message_authenticator(req: Request, secret_hmac) -> bool:
    """RFC 3579 §3.2 over the packet with the attribute zeroed; ``secret_hmac`` is a template."""
    raw, off = req.raw, req.ma_offset
    if off < 0:
        return False
    mac = secret_hmac.copy()
    mac.update(raw[:off])
    mac.update(_ZERO16)
    mac.update(raw[off + 16 :])
    return hmac.compare_digest(mac.digest(), raw[off : off + 16])


def verify_accounting_message_authenticator(req: Request, secret_hmac) -> bool:
    """RFC 3579 §3.2 in an Accounting-Request: the HMAC is computed with the Request
    Authenticator zeroed (it is calculated before it), as FreeRADIUS does."""
    raw, off = req.raw, req.ma_offset
    mac = secret_hmac.copy()
    mac.update(raw[:4])
    mac.update(_ZERO16)
    mac.update(raw[20:off])
    mac.update(_ZERO16)
    mac.update(raw[off + 16 :])
    return hmac.compare_digest(mac.digest(), raw[off : off + 16])


def verify_accounting_authenticator(req: Request, secret: bytes) -> bool:
    """RFC 2866 §3: MD5(Code+Id+Length+16 zero+Attributes+Secret) = Request Authenticator."""
    raw = req.raw
    digest = hashlib.md5(raw[:4] + _ZERO16 + raw[20:] + secret).digest()
    return hmac.compare_digest(digest, req.authenticator)


def encode_attr(attr_type: int, value: bytes) -> bytes:
    if len(value) > 253:
        raise ValueError("attribute value longer than 253 octets")
    return bytes((attr_type, len(value) + 2)) + value


def encode_int(attr_type: int, value: int) -> bytes:
    return bytes((attr_type, 6)) + value.to_bytes(4, "big")


def encode_vsa(vendor: int, sub_type: int, value: bytes) -> bytes:
    if len(value) > 247:
        raise ValueError("vendor attribute value too long")
    inner = vendor.to_bytes(4, "big") + bytes((sub_type, len(value) + 2)) + value
    return bytes((VENDOR_SPECIFIC, len(inner) + 2)) + inner


def build_reply(code: int, req: Request, attrs: bytes, secret: bytes, secret_hmac) -> bytes:
    """Reply with Message-Authenticator first, Proxy-State copied last, authenticators set.

    The HMAC covers the request's authenticator, except in an Accounting-Response to an
    Accounting-Request, where it covers 16 zero octets (as FreeRADIUS and pyrad do).
    """
    proxy = req.attrs.get(PROXY_STATE)
    if proxy:
        attrs += b"".join(encode_attr(PROXY_STATE, v) for v in proxy)
    length = HEADER + 18 + len(attrs)
    if length > MAX_LENGTH:
        raise ValueError("reply too long")
    head = _HDR.pack(code, req.ident, length)
    mac = secret_hmac.copy()
    vector = _ZERO16 if req.code == ACCOUNTING_REQUEST else req.authenticator
    mac.update(head + vector + _MA_PLACEHOLDER[:2])
    mac.update(_ZERO16)
    mac.update(attrs)
    body = _MA_PLACEHOLDER[:2] + mac.digest() + attrs
    response_auth = hashlib.md5(head + req.authenticator + body + secret).digest()
    return head + response_auth + body


def decrypt_user_password(value: bytes, secret: bytes, authenticator: bytes) -> bytes | None:
    """RFC 2865 §5.2; None when the length is not a multiple of 16 within 16..128."""
    n = len(value)
    if n < 16 or n > 128 or n % 16:
        return None
    out = bytearray()
    prev = authenticator
    for i in range(0, n, 16):
        block = value[i : i + 16]
        key = hashlib.md5(secret + prev).digest()
        out += (int.from_bytes(block, "big") ^ int.from_bytes(key, "big")).to_bytes(16, "big")
        prev = block
    return bytes(out).rstrip(b"\x00")


def salt_encrypt(plain: bytes, secret: bytes, authenticator: bytes, salt: bytes) -> bytes:
    """RFC 2548 §2.4.2 salt encryption (MS-MPPE keys): length octet, padding, MD5 chain."""
    data = bytes((len(plain),)) + plain
    if len(data) % 16:
        data += bytes(16 - len(data) % 16)
    out = bytearray(salt)
    prev = authenticator + salt
    for i in range(0, len(data), 16):
        key = hashlib.md5(secret + prev).digest()
        block = (int.from_bytes(data[i : i + 16], "big") ^ int.from_bytes(key, "big")).to_bytes(
            16, "big"
        )
        out += block
        prev = block
    return bytes(out)
