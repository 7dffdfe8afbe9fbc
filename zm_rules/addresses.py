"""Which addresses may be a subscriber's fixed IP (Framed-IP-Address), one rule for Odoo's
form and the bridge's answer."""

from __future__ import annotations

import ipaddress

_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # "this network" (RFC 1122), never a host


def host_ipv4(value) -> ipaddress.IPv4Address | None:
    """``value`` (text, an address or an interface) as a unicast IPv4 host address, or None:
    an IPv6 address does not fit Framed-IP-Address's four bytes; 255.255.255.255 / .254 mean
    "the user / the NAS picks" (RFC 2865 §5.8); 0.0.0.0/8, loopback, link-local, multicast
    and 240/4 are nobody's address. Raises ValueError when ``value`` is no address at all."""
    addr = ipaddress.ip_interface(str(value).strip()).ip
    if addr.version != 4 or (
        addr.is_unspecified or addr.is_loopback or addr.is_link_local or addr.is_multicast
        or addr.is_reserved or addr in _THIS_NETWORK
    ):  # fmt: skip
        return None
    return addr
