"""Properties of the period rules that must hold for every instant, zone and unit."""

import calendar
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st
from rules_strategies import PROPERTY, any_instants, dst_cases, near_offset_change, units, zones

from zm_rules import (
    PeriodUnit,
    QuotaMode,
    add_units,
    cycle_bounds,
    expiry_after,
    natural_bounds,
    natural_day_bounds,
    quota_period,
)
from zm_rules._time import wall_to_utc

TICK = timedelta(microseconds=1)
cycle_lengths = st.integers(min_value=1, max_value=7)
month_counts = st.integers(min_value=-40, max_value=40)


@PROPERTY
@given(instant=any_instants, unit=units, tz=zones)
def test_natural_periods_tile_time(instant, unit, tz):
    """The natural period holding an instant contains it and abuts its neighbours exactly."""
    period = natural_bounds(instant, unit, tz)
    assert period.start <= instant < period.end
    assert natural_bounds(period.end, unit, tz).start == period.end
    assert natural_bounds(period.start - TICK, unit, tz).end == period.start
    assert natural_bounds(period.start, unit, tz) == period
    assert natural_bounds(period.end - TICK, unit, tz) == period


@PROPERTY
@given(anchor=any_instants, instant=any_instants, unit=units, n=cycle_lengths, tz=zones)
def test_cycles_tile_time(anchor, instant, unit, n, tz):
    """The cycle holding an instant contains it and abuts the cycles before and after."""
    period = cycle_bounds(anchor, unit, n, instant, tz)
    assert period.start <= instant < period.end
    assert cycle_bounds(anchor, unit, n, period.end, tz).start == period.end
    assert cycle_bounds(anchor, unit, n, period.start - TICK, tz).end == period.start
    assert cycle_bounds(anchor, unit, n, period.start, tz) == period


@PROPERTY
@given(anchor=any_instants, unit=units, n=cycle_lengths, tz=zones)
def test_anchor_starts_a_cycle(anchor, unit, n, tz):
    """The anchor is always a cycle boundary; the first cycle ends n units later."""
    first = cycle_bounds(anchor, unit, n, anchor, tz)
    assert first.start == anchor
    assert first.end == add_units(anchor, unit, n, tz) == expiry_after(anchor, unit, n, tz)


@PROPERTY
@given(
    instant=any_instants,
    anchor=any_instants,
    tz=zones,
    mode=st.sampled_from([m for m in QuotaMode if m is not QuotaMode.NONE]),
)
def test_each_instant_is_in_its_quota_period(instant, anchor, tz, mode):
    """Whatever the mode, the quota period computed for an instant contains it."""
    assert instant in quota_period(instant, mode=mode, anchor=anchor, tz=tz)


@PROPERTY
@given(start=any_instants, months=month_counts, unit=st.sampled_from(["month", "quarter", "year"]))
def test_month_steps_keep_the_day_or_clamp(start, months, unit):
    """Month steps keep the local time and day, or land on the month's last day if shorter."""
    zone = ZoneInfo("Asia/Shanghai")  # no DST, so the local time is always kept
    before = start.astimezone(zone)
    after = add_units(start, unit, months, zone).astimezone(zone)
    assert after.time() == before.time()
    last = calendar.monthrange(after.year, after.month)[1]
    assert after.day == min(before.day, last)
    step = {"month": 1, "quarter": 3, "year": 12}[unit] * months
    assert (after.year - before.year) * 12 + after.month - before.month == step


@PROPERTY
@given(anchor=any_instants, unit=units, k=month_counts, tz=zones)
def test_boundaries_from_an_anchor_never_go_backwards(anchor, unit, k, tz):
    """add_units(anchor, k) never decreases in k, so cycles cannot overlap."""
    assert add_units(anchor, unit, k, tz) <= add_units(anchor, unit, k + 1, tz)


@PROPERTY
@given(start=any_instants, months=st.integers(1, 40))
def test_anchor_day_matches_computing_from_the_anchor(start, months):
    """Renewing a clamped expiry with anchor_day gives the same date as counting from the anchor."""
    zone = ZoneInfo("UTC")
    day = start.day
    middle = add_units(start, "month", 1, zone)
    resumed = add_units(middle, "month", months, zone, anchor_day=day)
    assert resumed == add_units(start, "month", months + 1, zone)


@PROPERTY
@given(instant=any_instants, tz=zones.filter(lambda z: z != "Pacific/Apia"))
def test_natural_day_lasts_a_day_give_or_take_dst(instant, tz):
    """A natural day lasts 24 hours, or 23–25 where clocks change, never less or more."""
    assert timedelta(hours=23) <= natural_day_bounds(instant, tz).duration <= timedelta(hours=25)


@PROPERTY
@given(start=any_instants, unit=units, count=st.integers(1, 30), tz=zones)
def test_natural_expiry_is_a_natural_boundary_after_start(start, unit, count, tz):
    """A natural package ends on a natural boundary, after its start, count periods on."""
    expiry = expiry_after(start, unit, count, tz, natural=True)
    assert expiry > start
    assert natural_bounds(expiry, unit, tz).start == expiry
    first = natural_bounds(start, unit, tz)
    assert expiry_after(start, unit, 1, tz, natural=True) == first.end
    if count > 1:
        assert expiry_after(first.end, unit, count - 1, tz, natural=True) == expiry


@PROPERTY
@given(start=any_instants, unit=units, count=st.integers(1, 30), tz=zones)
def test_cycle_expiry_is_later_than_start(start, unit, count, tz):
    """Buying at least one unit always moves the expiry forward."""
    assert expiry_after(start, unit, count, tz) > start


@PROPERTY
@given(start=any_instants, hours=st.integers(-10_000, 10_000), tz=zones)
def test_hours_are_elapsed_time(start, hours, tz):
    """An hour step is exactly 3600 s whatever the zone does."""
    assert add_units(start, PeriodUnit.HOUR, hours, tz) - start == timedelta(hours=hours)


@PROPERTY
@given(instant=any_instants, tz=zones)
def test_natural_day_is_inside_its_month(instant, tz):
    """Natural days nest inside natural months (same cut, same zone)."""
    day = natural_day_bounds(instant, tz)
    month = natural_bounds(instant, "month", tz)
    assume(day.duration > timedelta(0))
    assert month.start <= day.start and day.end <= month.end


@PROPERTY
@given(case=dst_cases, unit=units)
def test_natural_periods_tile_time_near_clock_changes(case, unit):
    """Natural periods still tile time on and around the days clocks change."""
    tz, instant = case
    period = natural_bounds(instant, unit, tz)
    assert period.start <= instant < period.end
    assert natural_bounds(period.end, unit, tz).start == period.end
    assert natural_bounds(period.start - TICK, unit, tz).end == period.start


@PROPERTY
@given(data=st.data(), case=dst_cases, unit=units, n=cycle_lengths)
def test_cycles_tile_time_near_clock_changes(data, case, unit, n):
    """Cycles anchored near one clock change still tile time around another."""
    tz, anchor = case
    instant = data.draw(near_offset_change(tz))
    period = cycle_bounds(anchor, unit, n, instant, tz)
    assert period.start <= instant < period.end
    assert cycle_bounds(anchor, unit, n, period.end, tz).start == period.end
    assert cycle_bounds(anchor, unit, n, period.start - TICK, tz).end == period.start


@PROPERTY
@given(case=dst_cases, unit=units, count=st.integers(1, 30))
def test_expiry_near_clock_changes_moves_forward(case, unit, count):
    """Near a clock change, buying units still moves the expiry forward, naturally or not."""
    tz, start = case
    assert expiry_after(start, unit, count, tz) > start
    assert expiry_after(start, unit, count, tz, natural=True) > start


@PROPERTY
@given(case=dst_cases, shift=st.integers(-90, 90))
def test_wall_to_utc_is_the_first_instant_showing_that_time(case, shift):
    """Local → UTC gives the first instant whose local clock reads that time or later."""
    tz, instant = case
    zone = ZoneInfo(tz)
    local = instant.astimezone(zone).replace(tzinfo=None) + timedelta(minutes=shift)
    result = wall_to_utc(local, zone)
    assert result.astimezone(zone).replace(tzinfo=None) >= local
    assert (result - TICK).astimezone(zone).replace(tzinfo=None) < local
