"""Pause and resume: the expiry moves out by exactly the paused time, never in."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_strategies import PROPERTY, instants

from zm_rules import apply_pauses, pause, resume


def utc(*args):
    return datetime(*args, tzinfo=UTC)


EXPIRY = utc(2024, 6, 30, 16)

pause_lengths = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))


def test_pause_banks_the_time_left():
    """Pausing ten days before expiry banks ten days."""
    assert pause(EXPIRY, EXPIRY - timedelta(days=10)) == timedelta(days=10)


def test_resume_moves_expiry_by_the_paused_time():
    """A 15-day pause with 10 days left ends 10 days after the resume: 15 days later."""
    paused_at = EXPIRY - timedelta(days=10)
    resumed_at = paused_at + timedelta(days=15)
    assert resume(EXPIRY, paused_at, resumed_at) == EXPIRY + timedelta(days=15)
    assert resume(EXPIRY, paused_at, resumed_at) == resumed_at + pause(EXPIRY, paused_at)


def test_pause_at_or_after_expiry_gives_nothing():
    """An expired account has nothing to bank, so resuming leaves the expiry alone."""
    for paused_at in (EXPIRY, EXPIRY + timedelta(days=3)):
        assert pause(EXPIRY, paused_at) == timedelta(0)
        assert resume(EXPIRY, paused_at, paused_at + timedelta(days=30)) == EXPIRY


def test_pause_one_microsecond_before_expiry_still_counts():
    """The expiry instant itself is outside the service, the instant before is inside."""
    paused_at = EXPIRY - timedelta(microseconds=1)
    assert resume(EXPIRY, paused_at, paused_at + timedelta(days=1)) == EXPIRY + timedelta(days=1)


def test_resume_immediately_changes_nothing():
    """A pause of zero length leaves the expiry where it was."""
    paused_at = EXPIRY - timedelta(days=1)
    assert resume(EXPIRY, paused_at, paused_at) == EXPIRY


def test_resume_before_pause_is_an_error():
    """Time cannot run backwards between pause and resume."""
    with pytest.raises(ValueError, match="before"):
        resume(EXPIRY, utc(2024, 6, 1), utc(2024, 5, 31))


def test_several_pauses_add_up():
    """Two pauses of 3 and 4 days move the expiry out by 7 days."""
    pauses = [
        (utc(2024, 6, 1), utc(2024, 6, 4)),
        (utc(2024, 6, 10), utc(2024, 6, 14)),
    ]
    assert apply_pauses(EXPIRY, pauses) == EXPIRY + timedelta(days=7)


def test_a_pause_counts_against_the_already_moved_expiry():
    """A second pause after the original expiry still counts when the first moved it out."""
    pauses = [
        (utc(2024, 6, 20), utc(2024, 7, 20)),  # expiry moves to Jul 30 16:00
        (utc(2024, 7, 25), utc(2024, 7, 26)),
    ]
    assert apply_pauses(EXPIRY, pauses) == utc(2024, 7, 31, 16)


def test_overlapping_or_unordered_pauses_are_rejected():
    """Pauses are a history: in order and not overlapping."""
    with pytest.raises(ValueError, match="overlap"):
        apply_pauses(
            EXPIRY, [(utc(2024, 6, 1), utc(2024, 6, 5)), (utc(2024, 6, 3), utc(2024, 6, 6))]
        )


def test_naive_datetimes_are_rejected():
    """Pause and resume refuse naive datetimes."""
    naive = datetime(2024, 6, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        pause(naive, utc(2024, 6, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        resume(EXPIRY, utc(2024, 6, 1), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        apply_pauses(EXPIRY, [(naive, utc(2024, 6, 2))])


@PROPERTY
@given(expiry=instants, paused_at=instants, length=pause_lengths)
def test_pausing_never_shortens_and_adds_exactly_the_pause(expiry, paused_at, length):
    """Resume never moves the expiry in; with time banked it moves out by exactly the pause."""
    new_expiry = resume(expiry, paused_at, paused_at + length)
    assert new_expiry >= expiry
    if paused_at < expiry:
        assert new_expiry - expiry == length
        assert new_expiry == paused_at + length + pause(expiry, paused_at)
    else:
        assert new_expiry == expiry


@PROPERTY
@given(expiry=instants, paused_at=instants, length=pause_lengths)
def test_banked_time_is_what_is_left_after_resume(expiry, paused_at, length):
    """The service left after resuming equals the service banked when pausing."""
    resumed_at = paused_at + length
    assert max(resume(expiry, paused_at, resumed_at) - resumed_at, timedelta(0)) == pause(
        expiry, paused_at
    )


@PROPERTY
@given(
    expiry=instants,
    first=instants,
    gaps=st.lists(st.tuples(pause_lengths, pause_lengths), max_size=5),
)
def test_a_series_of_pauses_never_shortens(expiry, first, gaps):
    """Any history of pauses moves the expiry out by at most their total length."""
    pauses, t = [], first
    for before, length in gaps:
        t += before
        pauses.append((t, t + length))
        t += length
    result = apply_pauses(expiry, pauses)
    assert expiry <= result <= expiry + sum((b - a for a, b in pauses), timedelta(0))
