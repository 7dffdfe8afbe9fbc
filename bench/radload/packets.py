"""Just enough RADIUS encoding for a load generator: no dictionary, no objects.

Every builder returns ``(packet, request_authenticator)`` ready for ``sendto``;
``check_reply`` verifies a reply against the request it answers (RFC 2865 §3,
RFC 2866 §3, RFC 3579 §3.2).
"""

import hashlib
import hmac
import random
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, modes

from zm_rules.md4 import nt_hash as nt_password_hash

try:  # cryptography >= 43 moved DES to "decrepit"
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - depends on the installed version
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

ACCESS_REQUEST, ACCESS_ACCEPT, ACCESS_REJECT = 1, 2, 3
ACCOUNTING_REQUEST, ACCOUNTING_RESPONSE = 4, 5
ACCESS_CHALLENGE = 11

USER_NAME, USER_PASSWORD, CHAP_PASSWORD, NAS_IP_ADDRESS, NAS_PORT = 1, 2, 3, 4, 5
SERVICE_TYPE, FRAMED_PROTOCOL, FRAMED_IP_ADDRESS = 6, 7, 8
VENDOR_SPECIFIC, CALLING_STATION_ID = 26, 31
ACCT_STATUS_TYPE, ACCT_DELAY_TIME, ACCT_INPUT_OCTETS, ACCT_OUTPUT_OCTETS = 40, 41, 42, 43
ACCT_SESSION_ID, ACCT_SESSION_TIME = 44, 46
ACCT_INPUT_PACKETS, ACCT_OUTPUT_PACKETS, ACCT_TERMINATE_CAUSE = 47, 48, 49
CHAP_CHALLENGE, NAS_PORT_TYPE, MESSAGE_AUTHENTICATOR = 60, 61, 80
VENDOR_MICROSOFT, MS_CHAP_CHALLENGE, MS_CHAP2_RESPONSE = 311, 11, 25

_ZERO16 = bytes(16)
_md5 = hashlib.md5
_rand16 = random.randbytes  # a benchmark needs unique authenticators, not secret ones


def attr(kind: int, value: bytes) -> bytes:
    return bytes((kind, len(value) + 2)) + value


def attr_int(kind: int, value: int) -> bytes:
    return struct.pack("!BBI", kind, 6, value)


def vsa(vendor: int, kind: int, value: bytes) -> bytes:
    return attr(VENDOR_SPECIFIC, struct.pack("!IBB", vendor, kind, len(value) + 2) + value)


def hide_password(password: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """User-Password hiding of RFC 2865 §5.2."""
    padded = password + bytes(-len(password) % 16 or (16 if not password else 0))
    out = bytearray()
    last = authenticator
    for off in range(0, len(padded), 16):
        key = _md5(secret + last).digest()
        block = bytes(p ^ k for p, k in zip(padded[off : off + 16], key))
        out += block
        last = block
    return bytes(out)


def _access_request(ident: int, authenticator: bytes, attrs: bytes, secret: bytes) -> bytes:
    """Seal an Access-Request with Message-Authenticator (RFC 3579 §3.2)."""
    length = 20 + len(attrs) + 18
    head = struct.pack("!BBH", ACCESS_REQUEST, ident, length) + authenticator
    body = attrs + b"\x50\x12"
    mac = hmac.digest(secret, head + body + _ZERO16, "md5")
    return head + body + mac


def pap_request(ident: int, user: bytes, password: bytes, secret: bytes, nas: bytes) -> tuple:
    auth = _rand16(16)
    attrs = (
        attr(USER_NAME, user)
        + attr(USER_PASSWORD, hide_password(password, secret, auth))
        + attr(NAS_IP_ADDRESS, nas)
        + _SERVICE_ATTRS
    )
    return _access_request(ident, auth, attrs, secret), auth


def pap_limit1_request(ident: int, user: bytes, password: bytes, secret: bytes, nas: bytes):
    """PAP from a fixed MAC per user (a limit-1 subscriber re-dialling from its CPE)."""
    auth = _rand16(16)
    mac = hashlib.md5(user).hexdigest()[:12]
    attrs = (
        attr(USER_NAME, user)
        + attr(USER_PASSWORD, hide_password(password, secret, auth))
        + attr(NAS_IP_ADDRESS, nas)
        + attr(31, "-".join(mac[i : i + 2] for i in range(0, 12, 2)).encode())
        + _SERVICE_ATTRS
    )
    return _access_request(ident, auth, attrs, secret), auth


def chap_request(ident: int, user: bytes, password: bytes, secret: bytes, nas: bytes) -> tuple:
    auth = _rand16(16)
    challenge = _rand16(16)
    chap_id = bytes((ident,))
    response = _md5(chap_id + password + challenge).digest()
    attrs = (
        attr(USER_NAME, user)
        + attr(CHAP_PASSWORD, chap_id + response)
        + attr(CHAP_CHALLENGE, challenge)
        + attr(NAS_IP_ADDRESS, nas)
        + _SERVICE_ATTRS
    )
    return _access_request(ident, auth, attrs, secret), auth


def _des_key(key7: bytes) -> bytes:
    """Spread 56 key bits over 8 bytes, parity bits left zero (RFC 2759 §8.6)."""
    bits = int.from_bytes(key7, "big")
    return bytes(((bits >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def _des(key7: bytes, block: bytes) -> bytes:
    # Triple DES with one 8-byte key is single DES; single DES is absent from OpenSSL 3.
    enc = Cipher(TripleDES(_des_key(key7)), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def challenge_hash(peer_challenge: bytes, auth_challenge: bytes, user: bytes) -> bytes:
    """ChallengeHash of RFC 2759 §8.2."""
    return hashlib.sha1(peer_challenge + auth_challenge + user).digest()[:8]


_third_key = {}  # the third DES key has only 16 variable bits: keep its ECB encryptors


def challenge_response(challenge: bytes, password_hash: bytes) -> bytes:
    """ChallengeResponse of RFC 2759 §8.5."""
    tail = password_hash[14:16]
    enc = _third_key.get(tail)
    if enc is None:
        enc = _third_key[tail] = Cipher(
            TripleDES(_des_key(tail + bytes(5))), modes.ECB()
        ).encryptor()
    return (
        _des(password_hash[0:7], challenge)
        + _des(password_hash[7:14], challenge)
        + enc.update(challenge)
    )


def nt_response(auth_challenge: bytes, peer_challenge: bytes, user: bytes, password: str) -> bytes:
    """GenerateNTResponse of RFC 2759 §8.1."""
    chal = challenge_hash(peer_challenge, auth_challenge, user)
    return challenge_response(chal, nt_password_hash(password))


def mschapv2_request(ident: int, user: bytes, password: bytes, secret: bytes, nas: bytes) -> tuple:
    auth = _rand16(16)
    auth_challenge = _rand16(16)
    peer_challenge = _rand16(16)
    nt = nt_response(auth_challenge, peer_challenge, user, password.decode())
    # Ident, Flags, Peer-Challenge, 8 reserved zero bytes, NT-Response (RFC 2548 §2.3.2)
    response = bytes((ident, 0)) + peer_challenge + bytes(8) + nt
    attrs = (
        attr(USER_NAME, user)
        + vsa(VENDOR_MICROSOFT, MS_CHAP_CHALLENGE, auth_challenge)
        + vsa(VENDOR_MICROSOFT, MS_CHAP2_RESPONSE, response)
        + attr(NAS_IP_ADDRESS, nas)
        + _SERVICE_ATTRS
    )
    return _access_request(ident, auth, attrs, secret), auth


# Framed-User / PPP on a virtual port: what a PPPoE BRAS sends.
_SERVICE_ATTRS = (
    attr_int(SERVICE_TYPE, 2) + attr_int(FRAMED_PROTOCOL, 1) + attr_int(NAS_PORT_TYPE, 5)
)


def accounting_request(
    ident: int, user: bytes, session_id: bytes, secret: bytes, nas: bytes, stop: bool, port: int
) -> tuple:
    """Accounting Start or Stop; the authenticator is the MD5 of RFC 2866 §3."""
    attrs = (
        attr(USER_NAME, user)
        + attr_int(ACCT_STATUS_TYPE, 2 if stop else 1)
        + attr(ACCT_SESSION_ID, session_id)
        + attr(NAS_IP_ADDRESS, nas)
        + attr_int(NAS_PORT, port)
        + attr_int(NAS_PORT_TYPE, 5)
        + attr(FRAMED_IP_ADDRESS, struct.pack("!I", 0x64400000 | (port & 0x3FFFFF)))
        + attr_int(ACCT_DELAY_TIME, 0)
    )
    if stop:
        attrs += (
            attr_int(ACCT_SESSION_TIME, 60)
            + attr_int(ACCT_INPUT_OCTETS, 123456)
            + attr_int(ACCT_OUTPUT_OCTETS, 654321)
            + attr_int(ACCT_INPUT_PACKETS, 100)
            + attr_int(ACCT_OUTPUT_PACKETS, 200)
            + attr_int(ACCT_TERMINATE_CAUSE, 1)
        )
    head = struct.pack("!BBH", ACCOUNTING_REQUEST, ident, 20 + len(attrs))
    auth = _md5(head + _ZERO16 + attrs + secret).digest()
    return head + auth + attrs, auth


def check_reply(reply: bytes, request_auth: bytes, secret: bytes) -> bool:
    """True when the reply's length, Response Authenticator and any Message-Authenticator hold."""
    if len(reply) < 20:
        return False
    length = (reply[2] << 8) | reply[3]
    if length < 20 or length > len(reply):
        return False
    reply = reply[:length]
    expect = _md5(reply[:4] + request_auth + reply[20:] + secret).digest()
    if not hmac.compare_digest(expect, reply[4:20]):
        return False
    pos = 20
    while pos + 2 <= length:
        kind, alen = reply[pos], reply[pos + 1]
        if alen < 2 or pos + alen > length:
            return False
        if kind == MESSAGE_AUTHENTICATOR:
            if alen != 18:
                return False
            # An Accounting-Response signs 16 zero octets, not the request's authenticator
            # (FreeRADIUS, pyrad; RFC 5176 §3.3 by analogy).
            vector = _ZERO16 if reply[0] == ACCOUNTING_RESPONSE else request_auth
            zeroed = reply[:4] + vector + reply[20 : pos + 2] + _ZERO16 + reply[pos + 18 :]
            if not hmac.compare_digest(
                hmac.digest(secret, zeroed, "md5"), reply[pos + 2 : pos + 18]
            ):
                return False
        pos += alen
    return pos == length


def sign_reply(code: int, ident: int, request_auth: bytes, attrs: bytes, secret: bytes) -> bytes:
    """Build a signed reply (for the trivial responder and the tests)."""
    head = struct.pack("!BBH", code, ident, 20 + len(attrs))
    auth = _md5(head + request_auth + attrs + secret).digest()
    return head + auth + attrs
