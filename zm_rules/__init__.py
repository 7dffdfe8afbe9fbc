"""Pure billing rules shared by the Odoo add-ons and the RADIUS bridge.

Standard library only, no I/O. Instants are aware UTC datetimes, money is
Decimal, durations are timedelta.
"""

from zm_rules._time import DEFAULT_TZ
from zm_rules.pause import apply_pauses, pause, resume
from zm_rules.periods import (
    END_OF_TIME,
    Period,
    PeriodUnit,
    QuotaMode,
    add_units,
    cycle_bounds,
    expiry_after,
    natural_bounds,
    natural_day_bounds,
    natural_month_bounds,
    quota_period,
)
from zm_rules.prorata import CENT, earned_between, split_earned, unused_value
from zm_rules.quota import QuotaLimits, QuotaRemaining, QuotaUsage, remaining

__all__ = [
    "CENT",
    "DEFAULT_TZ",
    "END_OF_TIME",
    "Period",
    "PeriodUnit",
    "QuotaLimits",
    "QuotaMode",
    "QuotaRemaining",
    "QuotaUsage",
    "add_units",
    "apply_pauses",
    "cycle_bounds",
    "earned_between",
    "expiry_after",
    "natural_bounds",
    "natural_day_bounds",
    "natural_month_bounds",
    "pause",
    "quota_period",
    "remaining",
    "resume",
    "split_earned",
    "unused_value",
]
