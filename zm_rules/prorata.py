"""Pro-rata value of a prepaid period, for refunds on cancel and revenue recognition.

Value is spread evenly over elapsed time, to the microsecond. The arithmetic is
exact (rational) and rounds once, half up, to the money quantum, so the same
inputs give the same cents on every machine and nothing is lost to floats.
"""

import math
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from zm_rules._time import require_utc

CENT = Decimal("0.01")
_MICROSECOND = timedelta(microseconds=1)


def _check_money(value: Decimal, name: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _check_price(price: Decimal) -> Decimal:
    # Credits are the negation of a positive value; allowing negative prices here
    # would turn "never more than the price" into "never less".
    if _check_money(price, "price") < 0:
        raise ValueError(f"price must not be negative, got {price}")
    return price


def _check_quantum(quantum: Decimal) -> Decimal:
    if _check_money(quantum, "quantum") <= 0:
        raise ValueError(f"quantum must be positive, got {quantum}")
    return quantum


def unused_value(
    price: Decimal,
    period_start: datetime,
    period_end: datetime,
    at: datetime,
    *,
    quantum: Decimal = CENT,
) -> Decimal:
    """The part of ``price`` paying for ``[at, period_end)`` of ``[period_start, period_end)``.

    ``at`` on or before the start → the whole price, unrounded; on or after the
    end → zero. In between, price × remaining / total rounded half up to
    ``quantum`` but never above the price, so the value never rises as time
    passes.
    """
    _check_price(price)
    _check_quantum(quantum)
    start = require_utc(period_start, "period_start")
    end = require_utc(period_end, "period_end")
    at = require_utc(at, "at")
    if end <= start:
        raise ValueError(f"period must not be empty: {start} .. {end}")
    if at <= start:
        return price
    if at >= end:
        return Decimal(0) * quantum
    share = Fraction(price) * Fraction((end - at) // _MICROSECOND, (end - start) // _MICROSECOND)
    share /= Fraction(quantum)
    return min(math.floor(share + Fraction(1, 2)) * quantum, price)


def split_earned(
    price: Decimal,
    start: datetime,
    end: datetime,
    cut: datetime,
    *,
    quantum: Decimal = CENT,
) -> tuple[Decimal, Decimal]:
    """``(earned, unearned)`` of a prepaid period at ``cut``; they sum exactly to ``price``.

    Unearned is :func:`unused_value`; earned takes the remainder, so no cent is
    created or lost by rounding.
    """
    unearned = unused_value(price, start, end, cut, quantum=quantum)
    return price - unearned, unearned


def earned_between(
    price: Decimal,
    start: datetime,
    end: datetime,
    window_start: datetime,
    window_end: datetime,
    *,
    quantum: Decimal = CENT,
) -> Decimal:
    """The part of ``price`` earned during ``[window_start, window_end)``.

    Defined as the drop of the unused value over the window, so the amounts of
    consecutive windows (a monthly revenue cron) add up exactly to the price.
    """
    if require_utc(window_end, "window_end") < require_utc(window_start, "window_start"):
        raise ValueError("window ends before it starts")
    before = unused_value(price, start, end, window_start, quantum=quantum)
    return before - unused_value(price, start, end, window_end, quantum=quantum)
