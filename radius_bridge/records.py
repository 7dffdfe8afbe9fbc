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


class Record:
    """One accounting record. ``at`` is the event time the NAS reports (Event-Timestamp or
    arrival − Acct-Delay-Time), ``seen`` the arrival at this bridge (epoch seconds): usage is
    placed by ``at``, staleness judged by ``seen``."""

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

    def to_list(self) -> list:
        """Plain values for the spool (JSON); :meth:`from_list` restores the record."""
        return [getattr(self, name, None) for name in Record.__slots__]

    @classmethod
    def from_list(cls, values: list) -> Record:
        rec = cls()
        for name, value in zip(Record.__slots__, values, strict=True):
            setattr(rec, name, value)
        return rec


def event_time(req: P.Request, arrival: float, max_delay: int) -> int:
    """Event-Timestamp when plausible, else arrival − Acct-Delay-Time (RFC 2869 / 2866).

    Both are bounded to ``[arrival − max_delay, arrival + FUTURE_SKEW]``: a NAS with a wrong
    clock or a huge Acct-Delay-Time cannot date a record years away.
    """
    now = int(arrival)
    stamp = req.integer(P.EVENT_TIMESTAMP)
    if stamp is not None and now - max_delay <= stamp <= now + FUTURE_SKEW:
        return stamp
    delay = req.integer(P.ACCT_DELAY_TIME) or 0
    return now - min(delay, max_delay)


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
    rec.at = event_time(req, arrival, max_delay)
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
