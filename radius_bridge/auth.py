"""Password checks: PAP, CHAP (RFC 1994 / 2865) and MS-CHAPv2 (RFC 2759) with MPPE keys (3079).

Pure functions over bytes; the server extracts the attributes and the policy uses the result.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from zm_rules.md4 import md4, nt_hash

_MAGIC_SIGN = b"Magic server to client signing constant"
_MAGIC_PAD = b"Pad to make it do more than one iteration"
_MAGIC_MASTER = b"This is the MPPE Master Key"
_MAGIC_CLIENT_SEND = (
    b"On the client side, this is the send key; on the server side, it is the receive key."
)
_MAGIC_CLIENT_RECV = (
    b"On the client side, this is the receive key; on the server side, it is the send key."
)
# MD4 is pure Python (~20 us); a login repeats with the same password, so remember it.
_nt_hash = functools.lru_cache(maxsize=65536)(nt_hash)
_hash_hash = functools.lru_cache(maxsize=65536)(md4)
_SHS_PAD1 = bytes(40)
_SHS_PAD2 = b"\xf2" * 40


class Account:
    """Password material of one account (a subset of the contract's account row)."""

    __slots__ = ("clear", "nt", "crypt")

    def __init__(self, clear: str | None, nt_hex: str | None, crypt_hash: str | None):
        self.clear = clear
        self.nt = bytes.fromhex(nt_hex) if nt_hex else None
        self.crypt = crypt_hash

    def nt_password_hash(self) -> bytes | None:
        if self.nt is None and self.clear is not None:
            self.nt = _nt_hash(self.clear)
        return self.nt


def check_pap(account: Account, password: bytes) -> bool:
    """Cleartext compare in constant time. An account with only an imported crypt(3) hash
    is checked by :mod:`passwords` in a thread (see ``needs_crypt``), never here."""
    if account.clear is not None:
        return hmac.compare_digest(account.clear.encode(), password)
    return False


def needs_crypt(account: Account) -> bool:
    return account.clear is None and bool(account.crypt)


def check_chap(account: Account, chap_password: bytes, challenge: bytes) -> bool:
    """RFC 1994: MD5(ident + password + challenge); needs the cleartext."""
    if account.clear is None or len(chap_password) != 17:
        return False
    digest = hashlib.md5(chap_password[:1] + account.clear.encode() + challenge).digest()
    return hmac.compare_digest(digest, chap_password[1:])


def _des_key(key7: bytes) -> bytes:
    """Spread 56 key bits over 8 bytes (parity bits are ignored by DES)."""
    n = int.from_bytes(key7, "big")
    return bytes(((n >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


@functools.lru_cache(maxsize=30000)
def _des_encryptor(key7: bytes):
    # Triple DES with K1 = K2 = K3 is single DES; ECB keeps no state between blocks, so an
    # encryptor per key (constant per password) is reused instead of rebuilt per login.
    return Cipher(algorithms.TripleDES(_des_key(key7)), modes.ECB()).encryptor()


def _des(key7: bytes, block: bytes) -> bytes:
    return _des_encryptor(key7).update(block)


def challenge_hash(peer_challenge: bytes, auth_challenge: bytes, username: bytes) -> bytes:
    """RFC 2759 §8.2, with any DOMAIN\\ prefix removed from the user name."""
    username = username.rsplit(b"\\", 1)[-1]
    return hashlib.sha1(peer_challenge + auth_challenge + username).digest()[:8]


def challenge_response(challenge: bytes, password_hash: bytes) -> bytes:
    """RFC 2759 §8.5: three DES encryptions keyed by the zero-padded password hash."""
    z = password_hash + bytes(5)
    return _des(z[0:7], challenge) + _des(z[7:14], challenge) + _des(z[14:21], challenge)


def authenticator_response(
    password_hash: bytes,
    nt_response: bytes,
    peer_challenge: bytes,
    auth_challenge: bytes,
    username: bytes,
) -> bytes:
    """RFC 2759 §8.7: the b"S=<40 hex>" string of MS-CHAP2-Success."""
    hash_hash = _hash_hash(password_hash)
    digest = hashlib.sha1(hash_hash + nt_response + _MAGIC_SIGN).digest()
    ch = challenge_hash(peer_challenge, auth_challenge, username)
    digest = hashlib.sha1(digest + ch + _MAGIC_PAD).digest()
    return b"S=" + digest.hex().upper().encode()


def mppe_keys(password_hash: bytes, nt_response: bytes) -> tuple[bytes, bytes]:
    """RFC 3079 §3.4 128-bit start keys from the server's side: (send_key, recv_key)."""
    master = hashlib.sha1(_hash_hash(password_hash) + nt_response + _MAGIC_MASTER).digest()[:16]
    send = hashlib.sha1(master + _SHS_PAD1 + _MAGIC_CLIENT_RECV + _SHS_PAD2).digest()[:16]
    recv = hashlib.sha1(master + _SHS_PAD1 + _MAGIC_CLIENT_SEND + _SHS_PAD2).digest()[:16]
    return send, recv


class MschapResult:
    __slots__ = ("ok", "ident", "success", "send_key", "recv_key")

    def __init__(self, ok, ident, success=b"", send_key=b"", recv_key=b""):
        self.ok = ok
        self.ident = ident
        self.success = success
        self.send_key = send_key
        self.recv_key = recv_key


def check_mschap2(
    account: Account, auth_challenge: bytes, response: bytes, username: bytes
) -> MschapResult:
    """Verify MS-CHAP2-Response (ident, flags, peer challenge, reserved, NT-Response)."""
    if len(response) != 50 or len(auth_challenge) != 16:
        return MschapResult(False, response[:1] or b"\x00")
    ident, peer, nt_response = response[:1], response[2:18], response[26:50]
    password_hash = account.nt_password_hash()
    if password_hash is None:
        return MschapResult(False, ident)
    expected = challenge_response(challenge_hash(peer, auth_challenge, username), password_hash)
    if not hmac.compare_digest(expected, nt_response):
        return MschapResult(False, ident)
    success = ident + authenticator_response(
        password_hash, nt_response, peer, auth_challenge, username
    )
    send, recv = mppe_keys(password_hash, nt_response)
    return MschapResult(True, ident, success, send, recv)
