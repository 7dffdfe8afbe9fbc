"""Pro-rata value of a prepaid period: refunds and revenue recognition to the cent."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_strategies import PROPERTY, instants, prices

from zm_rules import CENT, add_units, earned_between, split_earned, unused_value


def utc(*args):
    return datetime(*args, tzinfo=UTC)


START = utc(2024, 1, 1)
END = utc(2024, 1, 31)  # 30 days
D = Decimal

durations = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3660))


def test_whole_period_is_the_whole_price():
    """At or before the start the unused value is the price, unrounded."""
    assert unused_value(D("100.00"), START, END, START) == D("100.00")
    assert unused_value(D("99.999"), START, END, START - timedelta(days=5)) == D("99.999")


def test_after_the_end_nothing_is_left():
    """At or after the end the unused value is zero."""
    assert unused_value(D("100.00"), START, END, END) == 0
    assert unused_value(D("100.00"), START, END, END + timedelta(days=1)) == D("0.00")


@pytest.mark.parametrize(
    ("days_used", "expected"),
    [(1, "96.67"), (10, "66.67"), (15, "50.00"), (20, "33.33"), (29, "3.33")],
)
def test_unused_value_is_proportional_to_time_left(days_used, expected):
    """100.00 over 30 days leaves price × days left / 30, rounded to the cent."""
    at = START + timedelta(days=days_used)
    assert unused_value(D("100.00"), START, END, at) == D(expected)


def test_ties_round_half_up():
    """Half a cent rounds up: 0.01 half used leaves 0.01; 0.03 half used leaves 0.02."""
    middle = START + (END - START) / 2
    assert unused_value(D("0.01"), START, END, middle) == D("0.01")
    assert unused_value(D("0.03"), START, END, middle) == D("0.02")
    assert unused_value(D("0.05"), START, END, middle) == D("0.03")


def test_other_quanta():
    """A 0.05 cash quantum and a whole-yuan quantum round to their own steps."""
    at = START + timedelta(days=10)
    assert unused_value(D("100.00"), START, END, at, quantum=D("0.05")) == D("66.65")
    assert unused_value(D("100"), START, END, at, quantum=D("1")) == D("67")


def test_never_more_than_the_price():
    """A price finer than the quantum never rounds up above itself."""
    just_after = START + timedelta(microseconds=1)
    assert unused_value(D("1.006"), START, END, just_after) == D("1.006")


def test_a_year_of_microseconds_stays_exact():
    """A large price over a long period keeps every cent (no float error)."""
    end = add_units(START, "year", 10, "UTC")
    at = START + (end - START) / 4
    assert unused_value(D("123456789.99"), START, end, at) == D("92592592.49")


def test_split_earned_sums_to_the_price():
    """Earned and unearned always add back to the price, rounding included."""
    earned, unearned = split_earned(D("100.00"), START, END, START + timedelta(days=10))
    assert (earned, unearned) == (D("33.33"), D("66.67"))
    assert earned + unearned == D("100.00")


def test_monthly_recognition_adds_up_to_the_price():
    """Earning a year's price month by month books exactly the price, no cent lost."""
    end = add_units(START, "year", 1, "UTC")
    cuts = [add_units(START, "month", k, "UTC") for k in range(13)]
    months = [earned_between(D("1000.00"), START, end, a, b) for a, b in zip(cuts, cuts[1:])]
    assert sum(months) == D("1000.00")
    assert months[1] == D("79.23")  # February 2024: 29 of 366 days


def test_bad_inputs_are_rejected():
    """Floats, negatives, NaN, empty periods, naive datetimes and zero quanta are errors."""
    at = START + timedelta(days=1)
    with pytest.raises(TypeError):
        unused_value(100.0, START, END, at)
    with pytest.raises(ValueError):
        unused_value(D("-1"), START, END, at)
    with pytest.raises(ValueError):
        unused_value(D("NaN"), START, END, at)
    with pytest.raises(ValueError):
        unused_value(D("1"), START, START, at)
    with pytest.raises(ValueError):
        unused_value(D("1"), START, END, at, quantum=D("0"))
    with pytest.raises(ValueError, match="timezone-aware"):
        unused_value(D("1"), START, END, datetime(2024, 1, 2))
    with pytest.raises(ValueError):
        earned_between(D("1"), START, END, at, START)


@PROPERTY
@given(price=prices, start=instants, length=durations)
def test_prorata_of_whole_period_is_the_price(price, start, length):
    """Unused value at the start is the price; at the end it is zero."""
    end = start + length
    assert unused_value(price, start, end, start) == price
    assert unused_value(price, start, end, end) == 0


@PROPERTY
@given(price=prices, start=instants, length=durations, f=st.fractions(0, 1))
def test_earned_plus_unearned_is_the_price(price, start, length, f):
    """split_earned never creates or loses a cent; both parts lie within [0, price]."""
    cut = start + length * float(f)
    earned, unearned = split_earned(price, start, start + length, cut)
    assert earned + unearned == price
    assert 0 <= unearned <= price
    assert 0 <= earned <= price
    assert unearned % CENT == 0


@PROPERTY
@given(price=prices, start=instants, length=durations, a=st.fractions(-1, 2), b=st.fractions(-1, 2))
def test_unused_value_never_rises_with_time(price, start, length, a, b):
    """Later in the period, the unused value is the same or less."""
    end = start + length
    early, late = sorted((start + length * float(a), start + length * float(b)))
    assert unused_value(price, start, end, early) >= unused_value(price, start, end, late)


@PROPERTY
@given(
    price=prices,
    start=instants,
    length=durations,
    cuts=st.lists(st.fractions(0, 1), max_size=8),
)
def test_consecutive_windows_earn_the_whole_price(price, start, length, cuts):
    """Earned amounts of windows tiling the period add up exactly to the price."""
    end = start + length
    points = [start, *sorted(start + length * float(f) for f in cuts), end]
    total = sum(earned_between(price, start, end, a, b) for a, b in zip(points, points[1:]))
    assert total == price
