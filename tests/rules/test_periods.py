"""Worked examples of the period rules: clamping, leap years, time zones, DST."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from zm_rules import (
    Period,
    PeriodUnit,
    add_units,
    cycle_bounds,
    expiry_after,
    natural_bounds,
    natural_day_bounds,
    natural_month_bounds,
    quota_period,
)
from zm_rules._time import wall_to_utc

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def local(zone, *args, fold=0):
    return datetime(*args, tzinfo=zone, fold=fold).astimezone(UTC)


# --- add_units: month-end clamping and leap years ---------------------------------


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (1, (2024, 2, 29)),
        (2, (2024, 3, 31)),
        (3, (2024, 4, 30)),
        (4, (2024, 5, 31)),
        (5, (2024, 6, 30)),
        (11, (2024, 12, 31)),
        (13, (2025, 2, 28)),
        (-1, (2023, 12, 31)),
        (-2, (2023, 11, 30)),
        (-11, (2023, 2, 28)),
    ],
)
def test_month_from_jan_31_clamps_to_month_end(months, expected):
    """Jan 31 + N months lands on the 31st or the shorter month's last day."""
    start = utc(2024, 1, 31, 10)
    assert add_units(start, PeriodUnit.MONTH, months, "UTC") == utc(*expected, 10)


def test_month_clamping_is_from_the_anchor_not_chained():
    """Computing from the anchor gets Mar 31 back; chaining through Feb 29 would not."""
    start = utc(2024, 1, 31)
    chained = add_units(add_units(start, "month", 1, "UTC"), "month", 1, "UTC")
    assert chained == utc(2024, 3, 29)
    assert add_units(start, "month", 2, "UTC") == utc(2024, 3, 31)


def test_anchor_day_restores_the_anchor_day_after_a_clamped_expiry():
    """Renewing from Feb 28 with anchor_day=31 ends on Mar 31, not Mar 28."""
    clamped = utc(2025, 2, 28, 8)
    assert add_units(clamped, "month", 1, "UTC", anchor_day=31) == utc(2025, 3, 31, 8)
    assert add_units(clamped, "month", 2, "UTC", anchor_day=31) == utc(2025, 4, 30, 8)
    assert add_units(clamped, "month", 1, "UTC") == utc(2025, 3, 28, 8)


@pytest.mark.parametrize(
    ("year", "feb_end"), [(2023, 28), (2024, 29), (2000, 29), (1900, 28), (2100, 28), (2400, 29)]
)
def test_jan_31_plus_one_month_follows_gregorian_leap_years(year, feb_end):
    """Leap years: every 4th, except centuries, except every 400th (2100 is not leap)."""
    assert add_units(utc(year, 1, 31), "month", 1, "UTC") == utc(year, 2, feb_end)


@pytest.mark.parametrize(
    ("years", "expected"),
    [(1, (2025, 2, 28)), (4, (2028, 2, 29)), (76, (2100, 2, 28)), (-4, (2020, 2, 29))],
)
def test_feb_29_plus_years(years, expected):
    """Feb 29 + N years is Feb 29 in leap years and Feb 28 otherwise (2100 included)."""
    assert add_units(utc(2024, 2, 29, 12), PeriodUnit.YEAR, years, "UTC") == utc(*expected, 12)


def test_quarter_is_three_months_with_clamping():
    """Nov 30 + 1 quarter = Feb 28/29; Aug 31 + 1 quarter = Nov 30."""
    assert add_units(utc(2023, 11, 30), "quarter", 1, "UTC") == utc(2024, 2, 29)
    assert add_units(utc(2023, 8, 31), "quarter", 1, "UTC") == utc(2023, 11, 30)
    assert add_units(utc(2023, 8, 31), "quarter", 4, "UTC") == utc(2024, 8, 31)


def test_month_is_cut_in_the_local_zone():
    """Jan 31 00:30 in Shanghai is Jan 30 in UTC, and a month later is Feb 29 00:30 local."""
    start = local(SHANGHAI, 2024, 1, 31, 0, 30)
    assert start == utc(2024, 1, 30, 16, 30)
    assert add_units(start, "month", 1) == local(SHANGHAI, 2024, 2, 29, 0, 30)
    assert add_units(start, "month", 1, "UTC") == utc(2024, 2, 29, 16, 30)


def test_zero_units_is_the_start_itself():
    """Adding nothing returns the same instant, even on a repeated DST hour."""
    second_one_thirty = local(NEW_YORK, 2024, 11, 3, 1, 30, fold=1)
    assert add_units(second_one_thirty, "day", 0, NEW_YORK) == second_one_thirty


def test_hours_are_elapsed_time_across_dst():
    """Two hours from 01:00 EST on spring-forward day is 04:00 EDT: two real hours."""
    start = local(NEW_YORK, 2024, 3, 10, 1)
    assert add_units(start, "hour", 2, NEW_YORK) == start + timedelta(hours=2)
    assert add_units(start, "hour", 2, NEW_YORK) == local(NEW_YORK, 2024, 3, 10, 4)


def test_days_keep_the_local_time_across_dst():
    """A day from 09:00 before a DST change ends at 09:00 local: 23 or 25 real hours."""
    spring = local(NEW_YORK, 2024, 3, 9, 9)
    assert add_units(spring, "day", 1, NEW_YORK) - spring == timedelta(hours=23)
    autumn = local(BERLIN, 2024, 10, 26, 9)
    assert add_units(autumn, "day", 1, BERLIN) - autumn == timedelta(hours=25)


def test_skipped_local_time_moves_to_the_clock_change():
    """A month after Feb 10 02:30 is Mar 10 02:30, which New York skips: 03:00 EDT."""
    start = local(NEW_YORK, 2024, 2, 10, 2, 30)
    assert add_units(start, "month", 1, NEW_YORK) == utc(2024, 3, 10, 7)
    assert add_units(start, "month", 2, NEW_YORK) == local(NEW_YORK, 2024, 4, 10, 2, 30)


def test_wall_to_utc_takes_first_occurrence_of_a_repeated_time():
    """01:30 on New York's fall-back day maps to its first (EDT) occurrence."""
    assert wall_to_utc(datetime(2024, 11, 3, 1, 30), NEW_YORK) == utc(2024, 11, 3, 5, 30)


# --- natural periods ---------------------------------------------------------------


def test_natural_day_in_shanghai_around_midnight():
    """Shanghai's day turns at 16:00 UTC: 15:59:59 UTC is still the old day."""
    before = natural_day_bounds(utc(2024, 5, 31, 15, 59, 59))
    assert before == Period(utc(2024, 5, 30, 16), utc(2024, 5, 31, 16))
    after = natural_day_bounds(utc(2024, 5, 31, 16))
    assert after == Period(utc(2024, 5, 31, 16), utc(2024, 6, 1, 16))


def test_natural_month_in_shanghai_around_midnight():
    """May 31 23:59 Shanghai belongs to May; 00:00 June 1 (16:00 UTC) to June."""
    may = natural_month_bounds(utc(2024, 5, 31, 15, 59))
    assert may == Period(utc(2024, 4, 30, 16), utc(2024, 5, 31, 16))
    june = natural_month_bounds(utc(2024, 5, 31, 16))
    assert june == Period(utc(2024, 5, 31, 16), utc(2024, 6, 30, 16))
    assert natural_month_bounds(utc(2024, 5, 31, 16), "UTC").start == utc(2024, 5, 1)


def test_natural_february_in_leap_and_non_leap_years():
    """February lasts 29 days in 2024, 28 in 2100."""
    assert natural_month_bounds(utc(2024, 2, 10), "UTC").duration == timedelta(days=29)
    assert natural_month_bounds(utc(2100, 2, 10), "UTC").duration == timedelta(days=28)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (NEW_YORK, (2024, 3, 10), 23),
        (NEW_YORK, (2024, 11, 3), 25),
        (NEW_YORK, (2024, 7, 4), 24),
        (BERLIN, (2024, 3, 31), 23),
        (BERLIN, (2024, 10, 27), 25),
        (SHANGHAI, (2024, 3, 10), 24),
        (ZoneInfo("Australia/Lord_Howe"), (2024, 10, 6), 23.5),
        (ZoneInfo("Australia/Lord_Howe"), (2024, 4, 7), 24.5),
    ],
)
def test_natural_day_length_on_dst_days(zone, day, hours):
    """A natural day is local midnight to midnight: 23 or 25 hours on DST days."""
    bounds = natural_day_bounds(local(zone, *day, 12), zone)
    assert bounds.duration == timedelta(hours=hours)
    assert bounds.start == local(zone, *day)


def test_natural_day_starts_at_the_jump_when_midnight_is_skipped():
    """Santiago skips 00:00–01:00 on 2024-09-08: that day starts at 01:00 local."""
    zone = ZoneInfo("America/Santiago")
    bounds = natural_day_bounds(local(zone, 2024, 9, 8, 12), zone)
    assert bounds.start == utc(2024, 9, 8, 4)
    assert bounds.start.astimezone(zone).hour == 1
    assert bounds.duration == timedelta(hours=23)


def test_skipped_calendar_day_is_stepped_over():
    """Apia skipped 2011-12-30: Dec 29 ends where Dec 31 begins."""
    zone = ZoneInfo("Pacific/Apia")
    dec_29 = natural_day_bounds(local(zone, 2011, 12, 29, 12), zone)
    dec_31 = natural_day_bounds(dec_29.end, zone)
    assert dec_31.start == dec_29.end
    assert dec_31.start.astimezone(zone).date().isoformat() == "2011-12-31"


def test_natural_month_spanning_dst_loses_an_hour():
    """March in New York lasts 31 days less the hour DST takes."""
    march = natural_month_bounds(local(NEW_YORK, 2024, 3, 15), NEW_YORK)
    assert march.duration == timedelta(days=31) - timedelta(hours=1)


@pytest.mark.parametrize(
    ("unit", "start", "end"),
    [
        ("hour", (2024, 8, 15, 13), (2024, 8, 15, 14)),
        ("day", (2024, 8, 15), (2024, 8, 16)),
        ("month", (2024, 8, 1), (2024, 9, 1)),
        ("quarter", (2024, 7, 1), (2024, 10, 1)),
        ("year", (2024, 1, 1), (2025, 1, 1)),
    ],
)
def test_natural_bounds_per_unit(unit, start, end):
    """Each unit's natural period is cut at its calendar boundary in local time."""
    instant = local(SHANGHAI, 2024, 8, 15, 13, 20)
    assert natural_bounds(instant, unit) == Period(local(SHANGHAI, *start), local(SHANGHAI, *end))


def test_natural_hour_in_a_45_minute_offset_zone():
    """Kathmandu (+5:45) hours turn at :15 UTC."""
    bounds = natural_bounds(utc(2024, 1, 1, 12), "hour", "Asia/Kathmandu")
    assert bounds == Period(utc(2024, 1, 1, 11, 15), utc(2024, 1, 1, 12, 15))


# --- cycles -------------------------------------------------------------------------


def test_monthly_cycle_from_jan_31_never_drifts():
    """Cycles anchored Jan 31 10:00 run Feb 29, Mar 31, Apr 30 ... 10:00 local."""
    anchor = local(SHANGHAI, 2024, 1, 31, 10)
    march = cycle_bounds(anchor, "month", 1, local(SHANGHAI, 2024, 3, 5))
    assert march == Period(local(SHANGHAI, 2024, 2, 29, 10), local(SHANGHAI, 2024, 3, 31, 10))
    may = cycle_bounds(anchor, "month", 1, local(SHANGHAI, 2024, 5, 15))
    assert may == Period(local(SHANGHAI, 2024, 4, 30, 10), local(SHANGHAI, 2024, 5, 31, 10))


def test_cycle_boundary_instant_belongs_to_the_new_cycle():
    """Periods are half-open: the boundary instant starts the next cycle."""
    anchor = utc(2024, 1, 1)
    assert cycle_bounds(anchor, "day", 1, utc(2024, 1, 2), "UTC").start == utc(2024, 1, 2)
    assert cycle_bounds(anchor, "day", 1, utc(2024, 1, 2) - timedelta(microseconds=1), "UTC") == (
        Period(anchor, utc(2024, 1, 2))
    )


def test_cycles_of_several_units():
    """Three-day, six-hour and two-year cycles count whole units from the anchor."""
    anchor = utc(2024, 1, 1, 6)
    assert cycle_bounds(anchor, "day", 3, utc(2024, 1, 8), "UTC") == Period(
        utc(2024, 1, 7, 6), utc(2024, 1, 10, 6)
    )
    assert cycle_bounds(anchor, "hour", 6, utc(2024, 1, 2, 13), "UTC") == Period(
        utc(2024, 1, 2, 12), utc(2024, 1, 2, 18)
    )
    assert cycle_bounds(anchor, "year", 2, utc(2027, 1, 1), "UTC") == Period(
        utc(2026, 1, 1, 6), utc(2028, 1, 1, 6)
    )


def test_instant_before_anchor_gets_the_earlier_cycle():
    """Cycles extend backwards from the anchor too."""
    anchor = utc(2024, 3, 31)
    assert cycle_bounds(anchor, "month", 1, utc(2024, 3, 1), "UTC") == Period(
        utc(2024, 2, 29), anchor
    )


def test_cycle_rejects_non_positive_length():
    """A cycle of zero or negative units has no meaning."""
    with pytest.raises(ValueError):
        cycle_bounds(utc(2024, 1, 1), "day", 0, utc(2024, 1, 2))
    with pytest.raises(TypeError):
        cycle_bounds(utc(2024, 1, 1), "day", 1.5, utc(2024, 1, 2))


# --- the API boundary ---------------------------------------------------------------


def test_naive_datetimes_are_rejected():
    """Every entry point refuses a naive datetime with a ValueError naming the argument."""
    naive = datetime(2024, 1, 1)
    aware = utc(2024, 1, 1)
    calls = [
        lambda: add_units(naive, "day", 1),
        lambda: natural_day_bounds(naive),
        lambda: natural_month_bounds(naive),
        lambda: cycle_bounds(naive, "day", 1, aware),
        lambda: cycle_bounds(aware, "day", 1, naive),
        lambda: quota_period(naive, mode="natural_day"),
        lambda: quota_period(aware, mode="cycle_day", anchor=naive),
        lambda: expiry_after(naive, "month", 1),
        lambda: Period(naive, aware),
        lambda: naive in Period(aware, aware),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_non_utc_aware_input_is_normalised_to_utc():
    """An aware datetime in another offset is accepted and results come back in UTC."""
    plus8 = datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    result = add_units(plus8, "day", 1, "UTC")
    assert result == utc(2024, 1, 2)
    assert result.tzinfo is UTC
    assert natural_day_bounds(plus8).start.tzinfo is UTC


def test_bad_time_zones_are_rejected():
    """Unknown zone names and non-zone objects fail loudly."""
    with pytest.raises(ZoneInfoNotFoundError):
        natural_day_bounds(utc(2024, 1, 1), "Mars/Olympus_Mons")
    with pytest.raises(TypeError):
        natural_day_bounds(utc(2024, 1, 1), 8)


def test_period_basics():
    """Periods are half-open, know their length, and cannot end before they start."""
    period = Period(utc(2024, 1, 1), utc(2024, 1, 2))
    assert utc(2024, 1, 1) in period
    assert utc(2024, 1, 2) not in period
    assert period.duration == timedelta(days=1)
    with pytest.raises(ValueError):
        Period(utc(2024, 1, 2), utc(2024, 1, 1))
