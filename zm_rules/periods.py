"""Billing and quota periods: natural days / months, anchored cycles, package expiry.

Every period is half-open, ``[start, end)`` in UTC. Natural periods are cut at
local midnight (or the first of the month, quarter, year) in the company's time
zone. Cycles count whole units from an anchor instant (the opening or the first
dial). A period's boundaries come from one non-decreasing sequence, so
consecutive periods tile time without gap or overlap, DST days included.
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from zm_rules._time import DEFAULT_TZ, TzLike, require_utc, to_zone, wall, wall_to_utc

END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class PeriodUnit(StrEnum):
    """Units a package is sold in and a cycle counts."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class QuotaMode(StrEnum):
    """How the period a usage limit applies to is cut."""

    NONE = "none"  # the whole subscription, from the anchor to the expiry
    NATURAL_DAY = "natural_day"
    NATURAL_MONTH = "natural_month"
    CYCLE_DAY = "cycle_day"
    CYCLE_MONTH = "cycle_month"


_MONTHS_PER_UNIT = {PeriodUnit.MONTH: 1, PeriodUnit.QUARTER: 3, PeriodUnit.YEAR: 12}


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` of aware UTC instants."""

    start: datetime
    end: datetime

    def __post_init__(self):
        start = require_utc(self.start, "start")
        end = require_utc(self.end, "end")
        if end < start:
            raise ValueError(f"period ends ({end}) before it starts ({start})")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= require_utc(instant, "instant") < self.end

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def _check_count(value: int, name: str, minimum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _shift_wall(local: datetime, unit: PeriodUnit, n: int, day: int | None = None) -> datetime:
    """Move a naive wall time by ``n`` units; months clamp to the month's last day.

    ``day`` is the day of month aimed at (default: ``local``'s), so a cycle
    anchored on the 31st lands on the 30th, 28th or 29th when the month is
    shorter and back on the 31st when it is not.
    """
    if unit is PeriodUnit.HOUR:
        return local + timedelta(hours=n)
    if unit is PeriodUnit.DAY:
        return local + timedelta(days=n)
    year, month0 = divmod(local.month - 1 + n * _MONTHS_PER_UNIT[unit], 12)
    year += local.year
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    return local.replace(year=year, month=month, day=min(day or local.day, last))


def _locate(instant: datetime, boundary: Callable[[int], datetime], guess: int) -> int:
    """The index k with ``boundary(k) <= instant < boundary(k + 1)``.

    ``boundary`` never decreases; the guess is within a step or two, so the
    walks are short. Empty periods (a whole local day skipped) are stepped over.
    """
    k = guess
    while boundary(k) > instant:
        k -= 1
    while boundary(k + 1) <= instant:
        k += 1
    return k


def add_units(
    start: datetime,
    unit: PeriodUnit | str,
    n: int,
    tz: TzLike = DEFAULT_TZ,
    *,
    anchor_day: int | None = None,
) -> datetime:
    """``start`` plus ``n`` units (``n`` may be negative).

    Hours are elapsed time (an hourly package is N real hours, whatever the
    clocks do). Days, months, quarters and years are calendar steps in ``tz``
    keeping the local time of day, so a daily package bought at 09:00 ends at
    09:00 even across a DST change. A month step clamps to the last day of a
    shorter month: Jan 31 + 1 month = Feb 28/29, + 2 months = Mar 31. Compute
    each step from the anchor, not from the previous result, or pass
    ``anchor_day`` (e.g. 31) to keep aiming at the anchor's day when renewing
    from a clamped expiry (Feb 28 + 1 month, anchor_day=31 → Mar 31).
    """
    start = require_utc(start, "start")
    unit = PeriodUnit(unit)
    _check_count(n, "n")
    if anchor_day is not None and not 1 <= _check_count(anchor_day, "anchor_day") <= 31:
        raise ValueError(f"anchor_day must be within 1..31, got {anchor_day}")
    if n == 0:
        return start
    if unit is PeriodUnit.HOUR:
        return start + timedelta(hours=n)
    zone = to_zone(tz)
    return wall_to_utc(_shift_wall(wall(start, zone), unit, n, anchor_day), zone)


def _natural_floor(local: datetime, unit: PeriodUnit) -> datetime:
    local = local.replace(minute=0, second=0, microsecond=0)
    if unit is PeriodUnit.HOUR:
        return local
    local = local.replace(hour=0)
    if unit is PeriodUnit.DAY:
        return local
    if unit is PeriodUnit.MONTH:
        return local.replace(day=1)
    if unit is PeriodUnit.QUARTER:
        return local.replace(month=(local.month - 1) // 3 * 3 + 1, day=1)
    return local.replace(month=1, day=1)


def _natural_grid(instant: datetime, unit: PeriodUnit, tz: TzLike):
    """Boundaries of the natural periods of ``unit`` and the index of instant's."""
    zone = to_zone(tz)
    origin = _natural_floor(wall(instant, zone), unit)

    def boundary(k: int) -> datetime:
        return wall_to_utc(_shift_wall(origin, unit, k), zone)

    return boundary, _locate(instant, boundary, 0)


def natural_bounds(instant: datetime, unit: PeriodUnit | str, tz: TzLike = DEFAULT_TZ) -> Period:
    """The natural hour / day / month / quarter / year in ``tz`` containing ``instant``.

    A natural day runs from local midnight to the next, so it lasts 23 or 25
    hours on DST days; a natural month runs from the 1st 00:00 local.
    """
    instant = require_utc(instant, "instant")
    boundary, k = _natural_grid(instant, PeriodUnit(unit), tz)
    return Period(boundary(k), boundary(k + 1))


def natural_day_bounds(instant: datetime, tz: TzLike = DEFAULT_TZ) -> Period:
    """The local calendar day (00:00–24:00 in ``tz``) containing ``instant``."""
    return natural_bounds(instant, PeriodUnit.DAY, tz)


def natural_month_bounds(instant: datetime, tz: TzLike = DEFAULT_TZ) -> Period:
    """The local calendar month (1st 00:00 to next 1st 00:00 in ``tz``) containing ``instant``."""
    return natural_bounds(instant, PeriodUnit.MONTH, tz)


def cycle_bounds(
    anchor: datetime,
    unit: PeriodUnit | str,
    n: int,
    instant: datetime,
    tz: TzLike = DEFAULT_TZ,
) -> Period:
    """The cycle of ``n`` units containing ``instant``, counted from ``anchor``.

    Cycle k is ``[add_units(anchor, k*n), add_units(anchor, (k+1)*n))``, each
    boundary computed from the anchor so month-end clamping never drifts
    (anchor Jan 31: Feb 29, Mar 31, Apr 30, ...). Instants before the anchor get
    the cycles before it, so the grid covers all time.
    """
    anchor = require_utc(anchor, "anchor")
    instant = require_utc(instant, "instant")
    unit = PeriodUnit(unit)
    _check_count(n, "n", minimum=1)
    zone = to_zone(tz)

    def boundary(k: int) -> datetime:
        return add_units(anchor, unit, k * n, zone)

    if unit is PeriodUnit.HOUR:
        guess = (instant - anchor) // timedelta(hours=n)
    elif unit is PeriodUnit.DAY:
        guess = (wall(instant, zone).date() - wall(anchor, zone).date()).days // n
    else:
        a, i = wall(anchor, zone), wall(instant, zone)
        guess = ((i.year - a.year) * 12 + i.month - a.month) // (n * _MONTHS_PER_UNIT[unit])
    k = _locate(instant, boundary, guess)
    return Period(boundary(k), boundary(k + 1))


def quota_period(
    instant: datetime,
    *,
    mode: QuotaMode | str,
    anchor: datetime | None = None,
    tz: TzLike = DEFAULT_TZ,
    until: datetime | None = None,
) -> Period:
    """The period whose usage counts against a per-period limit at ``instant``.

    Natural modes cut at local midnight / the 1st in ``tz``; cycle modes count
    days or months from ``anchor`` (period start: opening or first dial). Mode
    ``none`` is the whole subscription, ``[anchor, until)`` (``until`` defaults
    to the end of time); ``instant`` is not checked against it. Usage from an
    earlier period never carries over: a new period starts from zero.
    """
    mode = QuotaMode(mode)
    instant = require_utc(instant, "instant")
    if mode is QuotaMode.NATURAL_DAY:
        return natural_bounds(instant, PeriodUnit.DAY, tz)
    if mode is QuotaMode.NATURAL_MONTH:
        return natural_bounds(instant, PeriodUnit.MONTH, tz)
    if anchor is None:
        raise ValueError(f"quota mode {mode.value!r} needs an anchor")
    if mode is QuotaMode.CYCLE_DAY:
        return cycle_bounds(anchor, PeriodUnit.DAY, 1, instant, tz)
    if mode is QuotaMode.CYCLE_MONTH:
        return cycle_bounds(anchor, PeriodUnit.MONTH, 1, instant, tz)
    return Period(anchor, END_OF_TIME if until is None else until)


def expiry_after(
    start: datetime,
    unit: PeriodUnit | str,
    count: int,
    tz: TzLike = DEFAULT_TZ,
    *,
    natural: bool = False,
    anchor_day: int | None = None,
) -> datetime:
    """The expiry of ``count`` units of a package starting at ``start``.

    Cycle packages (``natural=False``) end ``count`` units after ``start`` (see
    :func:`add_units` for clamping and ``anchor_day``). Natural packages end at
    the end of the ``count``-th natural period in ``tz``, the one containing
    ``start`` being the first: a natural month bought on Mar 20 ends Apr 1
    00:00 local. What a partial first period costs is the seller's rule, not
    this one's; a renewal starting at the boundary buys whole periods.
    """
    start = require_utc(start, "start")
    unit = PeriodUnit(unit)
    _check_count(count, "count", minimum=1)
    if not natural:
        return add_units(start, unit, count, tz, anchor_day=anchor_day)
    if anchor_day is not None:
        raise ValueError("anchor_day applies to cycle packages only")
    boundary, k = _natural_grid(start, unit, tz)
    return boundary(k + count)
