"""Per-period limits of time and traffic: remaining allowance, exhaustion, no rollover."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_strategies import PROPERTY

from zm_rules import QuotaLimits, QuotaUsage, quota_period, remaining

GB = 10**9
amounts = st.integers(min_value=0, max_value=10**13)
limits_st = st.builds(QuotaLimits, seconds=st.none() | amounts, octets=st.none() | amounts)
usage_st = st.builds(QuotaUsage, seconds=amounts, octets=amounts)


def test_unlimited_package_is_never_exhausted():
    """No caps: nothing is counted down and nothing stops the service."""
    left = remaining(QuotaLimits(), QuotaUsage(seconds=10**9, octets=10**15))
    assert (left.seconds, left.octets, left.exhausted) == (None, None, False)
    assert QuotaLimits().unlimited


def test_time_cap_counts_down():
    """Two hours a day with 90 minutes used leaves 30 minutes."""
    left = remaining(QuotaLimits(seconds=7200), QuotaUsage(seconds=5400, octets=5 * GB))
    assert (left.seconds, left.octets, left.exhausted) == (1800, None, False)


def test_traffic_cap_exhausts_at_the_limit():
    """Reaching the traffic cap exactly stops the service."""
    left = remaining(QuotaLimits(octets=30 * GB), QuotaUsage(octets=30 * GB))
    assert left.octets == 0 and left.exhausted


def test_either_cap_stops_the_service():
    """Time left does not help when traffic is used up, and the other way round."""
    limits = QuotaLimits(seconds=3600, octets=GB)
    assert remaining(limits, QuotaUsage(seconds=100, octets=GB)).exhausted
    assert remaining(limits, QuotaUsage(seconds=3600, octets=0)).exhausted
    assert not remaining(limits, QuotaUsage(seconds=3599, octets=GB - 1)).exhausted


def test_overuse_leaves_zero_not_negative():
    """A session that ran past the cap leaves nothing, never a debt to the next period."""
    left = remaining(QuotaLimits(seconds=60, octets=100), QuotaUsage(seconds=90, octets=250))
    assert (left.seconds, left.octets, left.exhausted) == (0, 0, True)


def test_zero_cap_allows_nothing():
    """A cap of zero (unlike None) means the service is exhausted from the start."""
    assert remaining(QuotaLimits(octets=0), QuotaUsage()).exhausted


def test_no_rollover_into_the_next_natural_day():
    """Unused time of one day does not carry over: the next day starts at the bare cap."""
    limits = QuotaLimits(seconds=7200)
    monday = datetime(2024, 5, 6, 2, tzinfo=UTC)  # 10:00 Shanghai
    tuesday = monday + timedelta(days=1)
    usage = {quota_period(monday, mode="natural_day").start: QuotaUsage(seconds=600)}

    def left_at(instant):
        period = quota_period(instant, mode="natural_day")
        return remaining(limits, usage.get(period.start, QuotaUsage())).seconds

    assert left_at(monday) == 6600
    assert left_at(tuesday) == 7200


def test_usage_adds_up():
    """Usage of several sessions in one period sums field by field."""
    total = QuotaUsage(seconds=10, octets=5) + QuotaUsage(seconds=20, octets=7)
    assert total == QuotaUsage(seconds=30, octets=12)


def test_bad_amounts_are_rejected():
    """Negative, fractional and boolean amounts are errors."""
    with pytest.raises(ValueError):
        QuotaLimits(seconds=-1)
    with pytest.raises(TypeError):
        QuotaLimits(octets=1.5)
    with pytest.raises(TypeError):
        QuotaUsage(seconds=True)
    with pytest.raises(ValueError):
        QuotaUsage(octets=-5)
    with pytest.raises(TypeError):
        remaining(QuotaLimits(), None)


@PROPERTY
@given(limits=limits_st, usage=usage_st)
def test_remaining_plus_used_is_the_cap_until_exhausted(limits, usage):
    """Remaining is cap minus use, floored at zero; exhausted exactly when a cap is reached."""
    left = remaining(limits, usage)
    for cap, used, rest in (
        (limits.seconds, usage.seconds, left.seconds),
        (limits.octets, usage.octets, left.octets),
    ):
        if cap is None:
            assert rest is None
        else:
            assert rest == max(cap - used, 0)
    reached = any(
        cap is not None and used >= cap
        for cap, used in ((limits.seconds, usage.seconds), (limits.octets, usage.octets))
    )
    assert left.exhausted == reached


@PROPERTY
@given(limits=limits_st, usage=usage_st, more=usage_st)
def test_more_usage_never_gives_more_allowance(limits, usage, more):
    """Using more never increases what is left or un-exhausts a quota."""
    before, after = remaining(limits, usage), remaining(limits, usage + more)
    if before.exhausted:
        assert after.exhausted
    if limits.seconds is not None:
        assert after.seconds <= before.seconds
    if limits.octets is not None:
        assert after.octets <= before.octets
