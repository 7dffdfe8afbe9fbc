"""MD4 (RFC 1320) and the NT password hash, in pure Python.

MS-CHAP and MS-CHAPv2 are built on MD4 (NtPasswordHash, HashNtPasswordHash). OpenSSL 3
moved MD4 to its legacy provider, so ``hashlib.new("md4")`` fails on current systems;
this one implementation serves Odoo (storing the NT hash) and the RADIUS bridge.
"""

import struct

_MASK = 0xFFFFFFFF
_ROUND2 = 0x5A827999
_ROUND3 = 0x6ED9EBA1


def _rotl(x, n):
    x &= _MASK
    return ((x << n) | (x >> (32 - n))) & _MASK


def md4(data: bytes) -> bytes:
    """Return the 16-byte MD4 digest of ``data``."""
    length_bits = (len(data) * 8) & 0xFFFFFFFFFFFFFFFF
    message = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", length_bits)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for offset in range(0, len(message), 64):
        x = struct.unpack_from("<16I", message, offset)
        aa, bb, cc, dd = a, b, c, d
        for i in (0, 4, 8, 12):
            a = _rotl(a + ((b & c) | (~b & d)) + x[i], 3)
            d = _rotl(d + ((a & b) | (~a & c)) + x[i + 1], 7)
            c = _rotl(c + ((d & a) | (~d & b)) + x[i + 2], 11)
            b = _rotl(b + ((c & d) | (~c & a)) + x[i + 3], 19)
        for i in (0, 1, 2, 3):
            a = _rotl(a + ((b & c) | (b & d) | (c & d)) + x[i] + _ROUND2, 3)
            d = _rotl(d + ((a & b) | (a & c) | (b & c)) + x[i + 4] + _ROUND2, 5)
            c = _rotl(c + ((d & a) | (d & b) | (a & b)) + x[i + 8] + _ROUND2, 9)
            b = _rotl(b + ((c & d) | (c & a) | (d & a)) + x[i + 12] + _ROUND2, 13)
        for i in (0, 2, 1, 3):
            a = _rotl(a + (b ^ c ^ d) + x[i] + _ROUND3, 3)
            d = _rotl(d + (a ^ b ^ c) + x[i + 8] + _ROUND3, 9)
            c = _rotl(c + (d ^ a ^ b) + x[i + 4] + _ROUND3, 11)
            b = _rotl(b + (c ^ d ^ a) + x[i + 12] + _ROUND3, 15)
        a = (a + aa) & _MASK
        b = (b + bb) & _MASK
        c = (c + cc) & _MASK
        d = (d + dd) & _MASK
    return struct.pack("<4I", a, b, c, d)


def nt_hash(password: str) -> bytes:
    """NtPasswordHash of RFC 2759: MD4 of the UTF-16LE password (16 bytes)."""
    return md4(password.encode("utf-16-le"))
