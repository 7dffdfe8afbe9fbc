"""Per-vendor rate attributes. Rates in the contract are kbit/s; each vendor has its format.

Standard NAS get WISPr bandwidth (bit/s), MikroTik its Rate-Limit string and group, Huawei its
average / peak rates (bit/s). The next issue deepens this; the shape stays: pure functions
from an account row to encoded attribute bytes.
"""

from __future__ import annotations

import json

from .packets import encode_vsa

WISPR = 14122
MIKROTIK = 14988
HUAWEI = 2011


def _int(value: int) -> bytes:
    return min(value, 0xFFFFFFFF).to_bytes(4, "big")


def _profiles(account) -> dict:
    profiles = account["vendor_profiles"]
    if isinstance(profiles, tuple):  # the cache's form: sorted (vendor, profile) pairs
        return dict(profiles)
    if isinstance(profiles, str):  # asyncpg returns jsonb as text without a codec
        try:
            profiles = json.loads(profiles)
        except ValueError:
            return {}
    return profiles if isinstance(profiles, dict) else {}


def rate_attributes(vendor: str, account) -> bytes:
    """Encoded VSAs limiting the account's rate on a NAS of ``vendor``."""
    up, down = account["rate_up_kbps"], account["rate_down_kbps"]
    burst_up, burst_down = account["burst_up_kbps"], account["burst_down_kbps"]
    profile = _profiles(account).get(vendor)
    out = b""
    if vendor == "mikrotik":
        if up and down:
            # Rx/Tx are seen from the router: rx = the subscriber's upload.
            limit = f"{up}k/{down}k"
            if burst_up and burst_down:
                limit += f" {burst_up}k/{burst_down}k"
            out += encode_vsa(MIKROTIK, 8, limit.encode())
        if profile:
            out += encode_vsa(MIKROTIK, 3, str(profile).encode())
    elif vendor == "huawei":
        if up:
            out += encode_vsa(HUAWEI, 2, _int(up * 1000))
            out += encode_vsa(HUAWEI, 3, _int((burst_up or up) * 1000))
        if down:
            out += encode_vsa(HUAWEI, 5, _int(down * 1000))
            out += encode_vsa(HUAWEI, 6, _int((burst_down or down) * 1000))
    else:
        if up:
            out += encode_vsa(WISPR, 7, _int(up * 1000))
        if down:
            out += encode_vsa(WISPR, 8, _int(down * 1000))
    return out
