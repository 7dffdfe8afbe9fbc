"""Usage → quota periods: a counter increase over ``[t0, t1]`` split by the periods crossed.

Pure functions; period maths from ``zm_rules.periods``. A session that runs over midnight
(natural day) or a cycle boundary puts each part of its increase in the period it was used
in, in proportion to time (the NAS reports totals, not when each octet flowed). Parts are
whole numbers that add up exactly to the increase.
"""

from __future__ import annotations

from datetime import UTC, datetime

from zm_rules.contract import DEFAULT_TIME_ZONE
from zm_rules.periods import Period, natural_month_bounds, quota_period

# A record's increase spreads over at most this many periods (a session silent for weeks
# on a daily quota); older time goes to the earliest period kept.
MAX_PARTS = 64


# The last period found per (zone, mode, anchor): most records fall in it, and a period
# computed by zm_rules (time-zone and DST-safe) costs far more than a comparison.
_RECENT: dict[tuple, Period] = {}
_RECENT_MAX = 4096


def period_of(account, instant: datetime) -> Period:
    """The usage period of ``account`` (its ``time_zone``, ``quota_period`` and
    ``period_start``; None when unknown) at ``instant``.

    Natural day / month in the account's time zone, cycles from its ``period_start``;
    ``none`` (and accounts unknown or without an anchor) count by natural month.
    """
    if account is None:
        key = (DEFAULT_TIME_ZONE, "none", None)
    else:
        key = (account["time_zone"] or DEFAULT_TIME_ZONE, account["quota_period"] or "none",
               account["period_start"])  # fmt: skip
    found = _RECENT.get(key)
    if found is not None and found.start <= instant < found.end:
        return found
    period = _period(*key, instant)
    if len(_RECENT) >= _RECENT_MAX:
        _RECENT.clear()
    _RECENT[key] = period
    return period


def _period(tz: str, mode: str, anchor, instant: datetime) -> Period:
    try:
        if mode in ("natural_day", "natural_month"):
            return quota_period(instant, mode=mode, tz=tz)
        if mode in ("cycle_day", "cycle_month") and anchor is not None:
            return quota_period(instant, mode=mode, anchor=anchor, tz=tz)
        return natural_month_bounds(instant, tz)
    except (ValueError, KeyError, LookupError):  # an unknown zone name: still count, in UTC
        return natural_month_bounds(instant, "UTC")


def split(account, t0: float, t1: float, amounts: tuple[int, ...]) -> list[tuple[datetime, list]]:
    """``[(period_start, parts)]`` for an increase of ``amounts`` between epochs t0 ≤ t1."""
    if t1 < t0:
        t0 = t1
    end = datetime.fromtimestamp(t1, UTC)
    last = period_of(account, end)
    start = datetime.fromtimestamp(t0, UTC)
    if start >= last.start or t1 == t0:  # the usual case: one period
        return [(last.start, list(amounts))]
    periods = [last]
    while periods[-1].start > start and len(periods) < MAX_PARTS:
        before = periods[-1].start.timestamp() - 1e-6
        periods.append(period_of(account, datetime.fromtimestamp(before, UTC)))
    periods.reverse()
    total = t1 - t0
    weights = []
    for i, p in enumerate(periods):
        lo = t0 if i == 0 else max(t0, p.start.timestamp())
        hi = min(t1, p.end.timestamp())
        weights.append(max(0.0, hi - lo) / total)
    out = [(p.start, [0] * len(amounts)) for p in periods]
    for j, amount in enumerate(amounts):
        given = 0
        for i, w in enumerate(weights[:-1]):
            part = int(amount * w)
            out[i][1][j] = part
            given += part
        out[-1][1][j] = amount - given
    return [(s, parts) for s, parts in out if any(parts)] or [(last.start, list(amounts))]
