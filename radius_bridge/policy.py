"""The RADIUS decision, in one pure function: account row + NAS + request facts → answer.

No I/O and no clock: the caller passes ``now`` and the number of live sessions it knows of.
(The one exception is a warning, once per account, for a ``fixed_ip`` it will not send.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from zm_rules.addresses import host_ipv4
from zm_rules.contract import derived_state

from . import packets as P
from .log import event
from .vendors import rate_attributes

logger = logging.getLogger("radius_bridge.policy")


@dataclass(frozen=True)
class Settings:
    interim_interval: int = 300
    expiring_window: timedelta = timedelta(days=7)
    max_session_timeout: int = 86_400
    expired_filter_id: str = ""
    # A waiting account's period starts at its first dial and Odoo sets its expiry from
    # that fact a minute or so later: until then it has no expiry to cap the session, and a
    # day card dialled late would get up to a day free. Its Accept asks the NAS back sooner.
    first_dial_session_timeout: int = 300


@dataclass(frozen=True)
class Facts:
    """What the request tells the policy."""

    username: str
    password_ok: bool
    calling_station_id: str | None
    online: int = 0
    # Every Service-Type of the request: a second, administrative one must not hide behind a
    # first Framed-User.
    service_types: tuple[int, ...] = ()
    # The request's credentials cannot be checked at all (both PAP and CHAP, MS-CHAPv1, EAP):
    # rejected with this reason, whatever the account.
    credential_error: str | None = None


# Service-Type values asking for a management login on the NAS itself (RFC 2865 §5.6):
# Administrative, NAS-Prompt and their callback forms. A subscriber account is for network
# access (Framed-User, or Login-User from hotspots), never a shell on the BRAS.
ADMIN_SERVICE_TYPES = frozenset((6, 7, 9, 11))


@dataclass(frozen=True)
class FirstDial:
    username: str
    at: datetime
    mac: str | None
    nas: str | None


@dataclass(frozen=True)
class Decision:
    accept: bool
    reason: str
    attributes: bytes = b""
    session_timeout: int | None = None
    first_dial: FirstDial | None = None


def normalize_mac(mac: str | None) -> str | None:
    """``AA-BB-CC-DD-EE-FF`` / ``aa:bb:..`` / ``aabb.ccdd.eeff`` → ``aabbccddeeff``."""
    if not mac:
        return None
    return "".join(c for c in mac.lower() if c in "0123456789abcdef") or None


def port_ident(nas_id: int, mac: str | None, port: str | None):
    """Where a login comes from: its MAC, else its NAS port (session-limit reservations: a
    re-dial from the same place replaces its own)."""
    mac = normalize_mac(mac)
    if mac:
        return (nas_id, "mac", mac)
    if port:
        return (nas_id, "port", port)
    return None


#: the reason of a login through another company's NAS, in the login log; the subscriber's
#: client is told what it would be told of a name no account has
FOREIGN = "nas of another company"


def same_company(account, nas) -> bool:
    """A NAS serves only its own company's accounts (one database, several ISPs or branches:
    a subscriber of one must not get online through another's BRAS). NULL on either side =
    no company to compare (the bridge's own tables, a NAS shared on purpose)."""
    mine, theirs = account["company_id"], nas.company_id
    return mine is None or theirs is None or mine == theirs


def nas_matches(bound: str, nas) -> bool:
    return bound in (nas.ip, nas.identifier, str(nas.id))


def _reject(reason: str) -> Decision:
    # No Reply-Message here: the reason goes to the auth log; what the subscriber's client
    # is told is the handler's choice ([policy] reject_reasons).
    return Decision(False, reason)


def decide(account, nas, facts: Facts, now: datetime, settings: Settings) -> Decision:
    """Accept or reject, with the reply attributes (without Message-Authenticator)."""
    if facts.credential_error:
        return _reject(facts.credential_error)
    if account is None:
        return _reject("unknown user")
    if not same_company(account, nas):
        # before the password: another company's NAS must not learn whether it was right
        # (an oracle for its owner); on the wire this is an unknown user (see FOREIGN)
        return _reject(FOREIGN)
    if not facts.password_ok:
        return _reject("bad password")
    if not ADMIN_SERVICE_TYPES.isdisjoint(facts.service_types):
        return _reject("service type")
    state = derived_state(account["state"], account["expiry_at"], now, settings.expiring_window)
    if state in ("paused", "cancelled"):
        return _reject(f"account {state}")
    if state == "draft":
        # created in Odoo but never opened: nothing was sold (DESIGN §3)
        return _reject("account not opened")
    if state not in ("normal", "expiring", "expired", "waiting"):
        return _reject("unknown state")
    mac = normalize_mac(facts.calling_station_id)
    bind_mac = normalize_mac(account["bind_mac"])
    if bind_mac and bind_mac != mac:
        return _reject("mac not bound")
    bind_nas = account["bind_nas"]
    if bind_nas and not nas_matches(bind_nas, nas):
        return _reject("nas not bound")
    limit = account["session_limit"]
    if limit is not None and facts.online >= limit:
        return _reject("session limit")

    restricted = state == "expired" or account["in_arrears"]
    timeout = settings.max_session_timeout
    attrs = b""
    if restricted:
        pool = account["pool_expired"]
        if not pool:
            return _reject("account expired" if state == "expired" else "in arrears")
        attrs += P.encode_attr(P.FRAMED_POOL, pool.encode())
        attrs += _ipv6_pools(account, "expired")
        if settings.expired_filter_id:
            attrs += P.encode_attr(P.FILTER_ID, settings.expired_filter_id.encode())
        reason = "restricted"
    else:
        pool = account["pool_normal"]
        if state == "expiring" and account["pool_expiring"]:
            pool = account["pool_expiring"]
        fixed = _fixed_ipv4(account)
        if fixed is not None:
            attrs += P.encode_attr(P.FRAMED_IP_ADDRESS, fixed)
        elif pool:
            attrs += P.encode_attr(P.FRAMED_POOL, pool.encode())
        attrs += _ipv6_pools(account, "expiring" if state == "expiring" else "normal")
        expiry = account["expiry_at"]
        if expiry is not None:
            timeout = max(1, min(timeout, int((expiry - now).total_seconds())))
        attrs += rate_attributes(nas.vendor, account)
        reason = state
    if state == "waiting":
        timeout = min(timeout, settings.first_dial_session_timeout)
    attrs += P.encode_int(P.SESSION_TIMEOUT, timeout)
    attrs += P.encode_int(P.ACCT_INTERIM_INTERVAL, settings.interim_interval)
    attrs += P.encode_attr(P.CLASS, f"zm:{account['account_id']}:{reason}".encode())

    first = None
    wants_mac = account["auto_bind_mac"] and not bind_mac and mac
    wants_nas = account["auto_bind_nas"] and not bind_nas
    if account["first_dial_at"] is None or wants_mac or wants_nas:
        bound_nas = (nas.ip or nas.identifier) if wants_nas else None
        first = FirstDial(facts.username, now, mac if wants_mac else None, bound_nas)
    return Decision(True, reason, attrs, timeout, first)


def _ipv6_pools(account, kind: str) -> bytes:
    """Framed-IPv6-Pool and Delegated-IPv6-Prefix-Pool of the account's standing (contract
    v3): the ``kind`` pool, the normal one while expiring, none when restricted and unset."""
    out = b""
    for prefix, attr in (("pool6", P.FRAMED_IPV6_POOL), ("pd_pool", P.DELEGATED_IPV6_PREFIX_POOL)):
        name = account.get(f"{prefix}_{kind}")
        if not name and kind == "expiring":
            name = account.get(f"{prefix}_normal")
        if name:
            out += P.encode_attr(attr, name.encode())
    return out


# (account_id, fixed_ip) already warned about; bounded, so a mass misconfiguration cannot grow
# it for ever (at worst a warning repeats after it is cleared).
_WARNED: set = set()
_MAX_WARNED = 10_000


def _fixed_ipv4(account) -> bytes | None:
    """The account's ``fixed_ip`` as Framed-IP-Address's four bytes, or None when it has none
    or it is no unicast IPv4 host address (``zm_rules.addresses.host_ipv4``). Then the
    account gets its pool, and the value is logged once."""
    value = account["fixed_ip"]
    if value is None:
        return None
    addr = host_ipv4(value)  # the cache keeps the address as text; tests may pass objects
    if addr is not None:
        return addr.packed
    key = (account["account_id"], str(value))
    if key not in _WARNED:
        if len(_WARNED) >= _MAX_WARNED:
            _WARNED.clear()
        _WARNED.add(key)
        event(logger, logging.WARNING, "fixed_ip_not_sent", account_id=account["account_id"],
              username=account["username"], fixed_ip=str(value))  # fmt: skip
    return None
