"""Accounting-Request → :class:`Record`: what the NAS said, in storable form.

Every text value is safe for PostgreSQL (``packets.safe_text``), every number bounded so
no record can overflow a ``bigint`` or create a history partition decades away: the NAS
is authenticated, but its clock and counters are not trusted.
"""

from __future__ import annotations

from datetime import UTC, datetime

from . import packets as P

START, STOP, INTERIM, ACCT_ON, ACCT_OFF = 1, 2, 3, 7, 8
KIND_NAMES = {START: "start", STOP: "stop", INTERIM: "interim", ACCT_ON: "on", ACCT_OFF: "off"}
GIGA = 1 << 32
# 2^53 octets (9 PB) per session: far beyond any real session, far below bigint overflow
# when usage rows add many sessions up.
MAX_OCTETS = 1 << 53
MAX_SESSION_TIME = 400 * 86400
FUTURE_SKEW = 300  # seconds an Event-Timestamp may run ahead of the bridge's clock

CAUSES = dict(
    enumerate(
        (
            "",
            "User-Request",
            "Lost-Carrier",
            "Lost-Service",
            "Idle-Timeout",
            "Session-Timeout",
            "Admin-Reset",
            "Admin-Reboot",
            "Port-Error",
            "NAS-Error",
            "NAS-Request",
            "NAS-Reboot",
            "Port-Unneeded",
            "Port-Preempted",
            "Port-Suspended",
            "Service-Unavailable",
            "Callback",
            "User-Error",
            "Host-Request",
        )
    )
)


# The slots of a spooled record in the first spool format (a plain list, no version tag):
# still read after an upgrade that finds such entries on disk.
_V1_SLOTS = (
    "kind", "nas_id", "session_id", "username", "port_id", "at", "seen", "session_time",
    "in_octets", "in_giga", "out_octets", "out_giga", "framed_ip", "calling", "called",
    "nas_port", "klass", "cause",
)  # fmt: skip
SPOOL_VERSION = 2
_INT, _NUM, _STR = (int,), (int, float), (str,)
# field → (types allowed, required); None is allowed for every field not required. A field
# a newer bridge added is ignored; one it dropped is None unless required here.
_FIELDS = {
    "kind": (_INT, True), "nas_id": (_INT, True), "at": (_NUM, True), "seen": (_NUM, True),
    "session_id": (_STR, False), "username": (_STR, False), "port_id": (_STR, False),
    "session_time": (_INT, False), "in_octets": (_INT, False), "in_giga": (_INT, False),
    "out_octets": (_INT, False), "out_giga": (_INT, False), "framed_ip": (_STR, False),
    "calling": (_STR, False), "called": (_STR, False), "nas_port": (_INT, False),
    "klass": (_STR, False), "cause": (_INT, False), "guessed": ((bool,), False),
}  # fmt: skip


class Record:
    """One accounting record. ``at`` is the event time the NAS reports (Event-Timestamp or
    arrival − Acct-Delay-Time), ``seen`` the arrival at this bridge (epoch seconds): usage is
    placed by ``at``, staleness judged by ``seen``. ``guessed``: the NAS's own time was
    absurd (an Acct-Delay-Time beyond ``max_delay_seconds``), ``at`` is only the arrival —
    session identity never relies on such a time (see :mod:`sessions`)."""

    __slots__ = (
        "kind",
        "nas_id",
        "session_id",
        "username",
        "port_id",
        "at",
        "seen",
        "session_time",
        "in_octets",
        "in_giga",
        "out_octets",
        "out_giga",
        "framed_ip",
        "calling",
        "called",
        "nas_port",
        "klass",
        "cause",
        "guessed",
    )

    def key(self) -> tuple:
        return (self.nas_id, self.session_id, self.username, self.port_id)

    def start(self) -> float | None:
        """Session start by this record (epoch s); None when the NAS sent no Session-Time."""
        if self.kind == START:
            return self.at
        if self.session_time is None:
            return None
        return self.at - self.session_time

    def to_spool(self) -> dict:
        """Plain values for the spool (JSON), tagged with the format version."""
        out = {name: getattr(self, name, None) for name in Record.__slots__}
        out["v"] = SPOOL_VERSION
        return out

    @classmethod
    def from_spool(cls, payload) -> Record:
        """The record a spool entry holds, of this format or an earlier one; ValueError when
        it is not a record (the entry is then quarantined, never silently dropped)."""
        if isinstance(payload, list):  # version 1
            if len(payload) != len(_V1_SLOTS):
                raise ValueError(f"version-1 entry with {len(payload)} fields")
            payload = dict(zip(_V1_SLOTS, payload, strict=True))
        elif not isinstance(payload, dict) or not isinstance(payload.get("v"), int):
            raise ValueError("not a spooled record")
        rec = cls()
        for name, (types, required) in _FIELDS.items():
            value = payload.get(name)
            if value is None:
                if required:
                    raise ValueError(f"{name} missing")
            elif isinstance(value, bool) != (types == (bool,)) or not isinstance(value, types):
                raise ValueError(f"{name} is {type(value).__name__}")
            setattr(rec, name, value)
        rec.guessed = bool(rec.guessed)
        if rec.kind not in KIND_NAMES:
            raise ValueError(f"unknown kind {rec.kind}")
        if rec.kind not in (ACCT_ON, ACCT_OFF):
            if rec.session_id is None or rec.username is None or rec.port_id is None:
                raise ValueError("session key missing")
            rec.in_octets = rec.in_octets or 0
            rec.out_octets = rec.out_octets or 0
        return rec


def event_time(req: P.Request, arrival: float, max_delay: int) -> tuple[int, bool]:
    """(event time, guessed): Event-Timestamp when plausible, else arrival − Acct-Delay-Time
    (RFC 2869 / 2866).

    An Event-Timestamp outside ``[arrival − max_delay, arrival + FUTURE_SKEW]`` is a wrong NAS
    clock: the delay says when instead. An Acct-Delay-Time beyond ``max_delay`` says nothing
    (2³²−1 is a common garbage value): the time is the arrival and marked *guessed* — never
    "arrival − max_delay", a day off, which would move the session's computed start.
    """
    now = int(arrival)
    stamp = req.integer(P.EVENT_TIMESTAMP)
    if stamp is not None and now - max_delay <= stamp <= now + FUTURE_SKEW:
        return stamp, False
    delay = req.integer(P.ACCT_DELAY_TIME) or 0
    if delay > max_delay:
        return now, True
    return now - delay, False


def _octets(req: P.Request, octets_attr: int, giga_attr: int) -> tuple[int, int | None]:
    octets = req.integer(octets_attr) or 0
    giga = req.integer(giga_attr)
    if giga is not None:
        giga = min(giga, MAX_OCTETS >> 32)
    return octets, giga


def to_record(req: P.Request, nas, username: str, arrival: float, max_delay: int) -> Record | None:
    """The record to store, or None for status types that store nothing."""
    kind = req.integer(P.ACCT_STATUS_TYPE)
    if kind is None:
        raise P.Malformed("accounting record without Acct-Status-Type")
    if kind not in KIND_NAMES:
        return None  # e.g. tunnel or Failed records: acknowledged, not stored
    rec = Record()
    rec.kind = kind
    rec.nas_id = nas.id
    rec.at, rec.guessed = event_time(req, arrival, max_delay)
    rec.seen = arrival
    if kind in (ACCT_ON, ACCT_OFF):
        rec.session_id = rec.username = rec.port_id = None
        return rec
    sid = req.text(P.ACCT_SESSION_ID)
    if not sid:
        raise P.Malformed("accounting record without Acct-Session-Id")
    rec.session_id = sid
    rec.username = username
    rec.port_id = req.text(P.NAS_PORT_ID) or ""
    session_time = req.integer(P.ACCT_SESSION_TIME)
    if kind == START:
        session_time = 0
    rec.session_time = None if session_time is None else min(session_time, MAX_SESSION_TIME)
    rec.in_octets, rec.in_giga = _octets(req, P.ACCT_INPUT_OCTETS, P.ACCT_INPUT_GIGAWORDS)
    rec.out_octets, rec.out_giga = _octets(req, P.ACCT_OUTPUT_OCTETS, P.ACCT_OUTPUT_GIGAWORDS)
    ip = req.get(P.FRAMED_IP_ADDRESS)
    rec.framed_ip = ".".join(map(str, ip)) if ip is not None and len(ip) == 4 else None
    rec.calling = req.text(P.CALLING_STATION_ID)
    rec.called = req.text(P.CALLED_STATION_ID)
    rec.nas_port = req.integer(P.NAS_PORT)
    rec.klass = req.text(P.CLASS)
    rec.cause = req.integer(P.ACCT_TERMINATE_CAUSE)
    return rec


def cause_text(cause: int | None) -> str | None:
    return CAUSES.get(cause, str(cause)) if cause else None


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
