"""Hypothesis strategies and settings shared by the zm_rules property tests."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from zm_rules import PeriodUnit

# Modest example counts keep the whole rules suite well under 30 s on a shared box.
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Zones chosen for their quirks: no DST (Shanghai, Kathmandu +5:45), ordinary DST
# (New York, Berlin), half-hour DST (Lord Howe), DST at midnight (Santiago, Havana,
# Beirut), and a skipped calendar day (Apia, 2011-12-30).
ZONES = [
    "Asia/Shanghai",
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Pacific/Apia",
]

zones = st.sampled_from(ZONES)
units = st.sampled_from(list(PeriodUnit))

instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2110, 12, 31), timezones=st.just(UTC)
)

# Whole-hour-aligned instants land on DST transitions and month ends far more often.
hour_instants = st.builds(
    lambda y, mo, d, h, m: datetime(y, mo, d, h, m, tzinfo=UTC),
    st.integers(1995, 2105),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.sampled_from([0, 30, 45, 59]),
)

any_instants = st.one_of(instants, hour_instants)

prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2, allow_nan=False)


def _offset_changes(zone_name, first_year=2005, last_year=2030):
    """Instants where ``zone_name`` changes its UTC offset, found by bisection.

    Computed with the standard library alone, so the tests do not lean on the code
    they test to find the awkward instants.
    """
    zone = ZoneInfo(zone_name)
    found = []
    day = timedelta(days=1)
    t = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year, 12, 31, tzinfo=UTC)
    while t < end:
        if t.astimezone(zone).utcoffset() != (t + day).astimezone(zone).utcoffset():
            lo, hi = t, t + day
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append((zone_name, hi.replace(microsecond=0)))
        t += day
    return found


OFFSET_CHANGES = [change for name in ZONES for change in _offset_changes(name)]


def near_offset_change(zone_name):
    """Instants within a day and a half of one of ``zone_name``'s clock changes."""
    changes = [t for name, t in OFFSET_CHANGES if name == zone_name]
    return st.builds(
        lambda t, minutes, us: t + timedelta(minutes=minutes, microseconds=us),
        st.sampled_from(changes),
        st.integers(-36 * 60, 36 * 60),
        st.sampled_from([0, 1, 999_999]),
    )


# (zone, instant) pairs with the instant close to a clock change in that zone.
dst_cases = st.sampled_from(sorted({name for name, _ in OFFSET_CHANGES})).flatmap(
    lambda name: st.tuples(st.just(name), near_offset_change(name))
)
