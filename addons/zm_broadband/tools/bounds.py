"""Bounds on what people type: lengths, characters, addresses (plain functions).

Bad input gets a clear, translated error before it reaches the database, never an
index error or a NUL that a RADIUS packet or PostgreSQL cannot carry.
"""

import ipaddress
import re
import unicodedata

from odoo.exceptions import ValidationError

from zm_rules.addresses import host_ipv4

#: longest account name; RADIUS carries up to 253 octets, real account names are short
NAME_MAX = 64
SHORT_TEXT_MAX = 128
NOTE_MAX = 4000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAC_DIGITS = re.compile(r"[0-9a-f]{12}")


def check_text(env, value, label, max_len=SHORT_TEXT_MAX, multiline=False):
    """Return ``value`` unchanged, or raise when it is too long or holds control bytes."""
    if not value:
        return value
    if not isinstance(value, str):
        raise ValidationError(env._("%s must be text.", label))
    if len(value) > max_len:
        raise ValidationError(
            env._(
                "%(label)s is too long: %(length)s characters, at most %(max)s.",
                label=label,
                length=len(value),
                max=max_len,
            )
        )
    pattern = _CONTROL_BUT_NEWLINES if multiline else _CONTROL
    if pattern.search(value):
        raise ValidationError(env._("%s holds control characters.", label))
    return value


def normalize_name(env, value, label):
    """An account name as RADIUS and people compare it: NFKC (full-width letters are
    letters), trimmed, without control or invisible format characters (bidi overrides,
    zero-width spaces) that would let two names look alike."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFKC", value).strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in value):
        raise ValidationError(env._("%s holds control or invisible characters.", label))
    return value


def normalize_mac(env, value):
    """``AA-BB-CC-DD-EE-FF`` / ``aa:bb:…`` / ``aabb.ccdd.eeff`` → ``aa:bb:cc:dd:ee:ff``."""
    if not value:
        return False
    digits = "".join(c for c in str(value).lower() if c not in ":-. ")
    if not _MAC_DIGITS.fullmatch(digits):
        raise ValidationError(env._("%s is not a MAC address.", value))
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def normalize_ip(env, value):
    """A single IPv4 or IPv6 address in its canonical text form (an IPv4-mapped IPv6
    address as the IPv4 address it is: that is how a NAS's packets arrive)."""
    if not value:
        return False
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise ValidationError(env._("%s is not an IP address.", value)) from None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def normalize_host_ipv4(env, value):
    """An IPv4 address a subscriber's device may be given (Framed-IP-Address): the rule the
    bridge applies too (``zm_rules.addresses.host_ipv4``)."""
    address = normalize_ip(env, value)
    if address and host_ipv4(address) is None:
        raise ValidationError(
            env._("%s cannot be a subscriber's fixed address: give a unicast IPv4 address.",
                  value)
        )  # fmt: skip
    return address
