"""Package expiry and quota periods: where a purchase ends and which usage counts."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from zm_rules import END_OF_TIME, Period, QuotaMode, add_units, expiry_after, quota_period

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def local(zone, *args):
    return datetime(*args, tzinfo=zone).astimezone(UTC)


# --- package expiry -----------------------------------------------------------------


def test_cycle_package_expiry():
    """A cycle package ends N units after its start, with month-end clamping."""
    start = local(SHANGHAI, 2024, 1, 31, 14)
    assert expiry_after(start, "month", 1) == local(SHANGHAI, 2024, 2, 29, 14)
    assert expiry_after(start, "year", 1) == local(SHANGHAI, 2025, 1, 31, 14)
    assert expiry_after(start, "day", 30) == local(SHANGHAI, 2024, 3, 1, 14)
    assert expiry_after(start, "hour", 5) == start + timedelta(hours=5)


def test_natural_package_ends_at_the_end_of_the_natural_period():
    """A natural month bought on Mar 20 ends at Apr 1 00:00 local; three end at Jun 1."""
    start = local(SHANGHAI, 2024, 3, 20, 9)
    assert expiry_after(start, "month", 1, natural=True) == local(SHANGHAI, 2024, 4, 1)
    assert expiry_after(start, "month", 3, natural=True) == local(SHANGHAI, 2024, 6, 1)
    assert expiry_after(start, "day", 1, natural=True) == local(SHANGHAI, 2024, 3, 21)
    assert expiry_after(start, "year", 1, natural=True) == local(SHANGHAI, 2025, 1, 1)
    assert expiry_after(start, "quarter", 1, natural=True) == local(SHANGHAI, 2024, 4, 1)


def test_natural_renewal_from_a_boundary_buys_whole_months():
    """Renewing at Apr 1 00:00 local for one natural month ends May 1 00:00 local."""
    boundary = local(SHANGHAI, 2024, 4, 1)
    assert expiry_after(boundary, "month", 1, natural=True) == local(SHANGHAI, 2024, 5, 1)


def test_expiry_rejects_bad_counts_and_mixed_options():
    """Zero units, and anchor_day on a natural package, are errors."""
    with pytest.raises(ValueError):
        expiry_after(utc(2024, 1, 1), "month", 0)
    with pytest.raises(ValueError):
        expiry_after(utc(2024, 1, 1), "month", 1, natural=True, anchor_day=31)
    with pytest.raises(ValueError):
        add_units(utc(2024, 1, 1), "month", 1, anchor_day=32)


# --- quota periods ------------------------------------------------------------------


def test_quota_period_modes():
    """Each quota mode picks its natural or anchored period, or the whole subscription."""
    anchor = local(SHANGHAI, 2024, 1, 15, 20)
    at = local(SHANGHAI, 2024, 3, 15, 8)
    assert quota_period(at, mode="natural_day") == Period(
        local(SHANGHAI, 2024, 3, 15), local(SHANGHAI, 2024, 3, 16)
    )
    assert quota_period(at, mode=QuotaMode.NATURAL_MONTH) == Period(
        local(SHANGHAI, 2024, 3, 1), local(SHANGHAI, 2024, 4, 1)
    )
    assert quota_period(at, mode="cycle_day", anchor=anchor) == Period(
        local(SHANGHAI, 2024, 3, 14, 20), local(SHANGHAI, 2024, 3, 15, 20)
    )
    assert quota_period(at, mode="cycle_month", anchor=anchor) == Period(
        local(SHANGHAI, 2024, 2, 15, 20), local(SHANGHAI, 2024, 3, 15, 20)
    )
    expiry = local(SHANGHAI, 2025, 1, 15, 20)
    assert quota_period(at, mode="none", anchor=anchor, until=expiry) == Period(anchor, expiry)
    assert quota_period(at, mode="none", anchor=anchor) == Period(anchor, END_OF_TIME)


def test_quota_period_needs_an_anchor_for_cycles():
    """Cycle and whole-subscription modes cannot be cut without a start."""
    for mode in ("cycle_day", "cycle_month", "none"):
        with pytest.raises(ValueError, match="anchor"):
            quota_period(utc(2024, 1, 1), mode=mode)
    with pytest.raises(ValueError):
        quota_period(utc(2024, 1, 1), mode="weekly")
