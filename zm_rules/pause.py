"""Pause and resume: the clock of a paused account stops.

While paused an account cannot go online, so the service time it had left is
banked and the expiry moves out by exactly the paused duration on resume. An
account paused at or after its expiry had nothing left to bank, so resuming
gives it nothing.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from zm_rules._time import require_utc

NOTHING = timedelta(0)


def pause(expiry_at: datetime, paused_at: datetime) -> timedelta:
    """The service time banked by pausing at ``paused_at``; zero once expired."""
    expiry_at = require_utc(expiry_at, "expiry_at")
    paused_at = require_utc(paused_at, "paused_at")
    return max(expiry_at - paused_at, NOTHING)


def resume(expiry_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """The expiry after a pause from ``paused_at`` to ``resumed_at``.

    Equals ``resumed_at + pause(expiry_at, paused_at)`` when time was banked, and
    the unchanged ``expiry_at`` when the pause began at or after expiry.
    """
    expiry_at = require_utc(expiry_at, "expiry_at")
    paused_at = require_utc(paused_at, "paused_at")
    resumed_at = require_utc(resumed_at, "resumed_at")
    if resumed_at < paused_at:
        raise ValueError(f"resumed_at ({resumed_at}) is before paused_at ({paused_at})")
    if paused_at >= expiry_at:
        return expiry_at
    return expiry_at + (resumed_at - paused_at)


def apply_pauses(expiry_at: datetime, pauses: Iterable[tuple[datetime, datetime]]) -> datetime:
    """The expiry after a series of ``(paused_at, resumed_at)`` pauses, oldest first.

    Each pause is judged against the expiry the earlier ones produced, so a pause
    that would have fallen after the original expiry still counts if earlier
    pauses had moved the expiry past it. Pauses may not overlap.
    """
    expiry_at = require_utc(expiry_at, "expiry_at")
    previous_end = None
    for paused_at, resumed_at in pauses:
        paused_at = require_utc(paused_at, "paused_at")
        if previous_end is not None and paused_at < previous_end:
            raise ValueError("pauses must be in order and must not overlap")
        expiry_at = resume(expiry_at, paused_at, resumed_at)
        previous_end = require_utc(resumed_at, "resumed_at")
    return expiry_at
