"""Per-period usage limits of time and traffic.

A package may cap online seconds and/or octets per period (see
``periods.quota_period``). Reaching either cap stops the service until the next
period; unused allowance does not roll over, because each period's usage is
counted from zero.
"""

from dataclasses import dataclass


def _check_amount(value: int | None, name: str, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


@dataclass(frozen=True)
class QuotaLimits:
    """Caps per period; ``None`` is unlimited, ``0`` allows nothing."""

    seconds: int | None = None
    octets: int | None = None

    def __post_init__(self):
        _check_amount(self.seconds, "seconds", optional=True)
        _check_amount(self.octets, "octets", optional=True)

    @property
    def unlimited(self) -> bool:
        return self.seconds is None and self.octets is None


@dataclass(frozen=True)
class QuotaUsage:
    """Seconds online and octets (in + out) used in one period."""

    seconds: int = 0
    octets: int = 0

    def __post_init__(self):
        _check_amount(self.seconds, "seconds", optional=False)
        _check_amount(self.octets, "octets", optional=False)

    def __add__(self, other: "QuotaUsage") -> "QuotaUsage":
        if not isinstance(other, QuotaUsage):
            return NotImplemented
        return QuotaUsage(self.seconds + other.seconds, self.octets + other.octets)


@dataclass(frozen=True)
class QuotaRemaining:
    """What is left of each cap (``None`` where unlimited) and whether any is used up."""

    seconds: int | None
    octets: int | None
    exhausted: bool


def _left(limit: int | None, used: int) -> int | None:
    return None if limit is None else max(limit - used, 0)


def remaining(limits: QuotaLimits, usage: QuotaUsage) -> QuotaRemaining:
    """What ``usage`` leaves of ``limits`` in the current period.

    Exhausted as soon as any capped dimension has nothing left: the service
    stops when time *or* traffic is used up. Overuse (a session that ran past
    the cap before it was cut) leaves zero, never a negative balance.
    """
    if not isinstance(limits, QuotaLimits) or not isinstance(usage, QuotaUsage):
        raise TypeError("remaining() takes a QuotaLimits and a QuotaUsage")
    seconds = _left(limits.seconds, usage.seconds)
    octets = _left(limits.octets, usage.octets)
    return QuotaRemaining(seconds, octets, exhausted=seconds == 0 or octets == 0)
