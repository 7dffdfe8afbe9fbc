"""Time-zone plumbing for the period rules: aware-UTC checks and wall clock → UTC.

Private to ``zm_rules``; the public API takes and returns aware UTC datetimes only.
"""

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"

TzLike = str | tzinfo

_MICROSECOND = timedelta(microseconds=1)


def to_zone(tz: TzLike) -> tzinfo:
    """Return the tzinfo for an IANA name (e.g. "Asia/Shanghai") or a tzinfo as is."""
    if isinstance(tz, str):
        return ZoneInfo(tz)
    if isinstance(tz, tzinfo):
        return tz
    raise TypeError(f"tz must be an IANA zone name or a tzinfo, got {type(tz).__name__}")


def require_utc(value: datetime, name: str) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes.

    A naive datetime could be UTC or local time; guessing would shift expiries by
    hours, so it is an error at every API boundary.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware (UTC) datetime, got naive {value!r}")
    return value.astimezone(UTC)


def wall(instant: datetime, zone: tzinfo) -> datetime:
    """The naive wall-clock reading in ``zone`` at an aware ``instant``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def wall_to_utc(local: datetime, zone: tzinfo) -> datetime:
    """The first instant at which the clocks in ``zone`` read ``local`` or later.

    For an ordinary wall time that is its only instant; for a repeated one (clocks
    set back) it is the first occurrence; for a skipped one (clocks set forward)
    it is the moment of the jump. This mapping never decreases as ``local``
    increases, which is what lets period boundaries tile time without gap or
    overlap even on DST days.
    """
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if wall(first, zone) == local:
        return first
    other = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(first, other), max(first, other)
    if wall(lo, zone) >= local:
        return lo
    # local lies in a gap: wall(lo) < local <= wall(hi); find the jump by bisection.
    lo_us, hi_us = 0, (hi - lo) // _MICROSECOND
    while hi_us - lo_us > 1:
        mid = (lo_us + hi_us) // 2
        if wall(lo + mid * _MICROSECOND, zone) >= local:
            hi_us = mid
        else:
            lo_us = mid
    return lo + hi_us * _MICROSECOND
