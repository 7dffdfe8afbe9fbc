"""The one SQL expression that derives a subscriber's status.

DESIGN §3: "expiring" and "expired" are never stored; they follow from ``expiry_at``
and the clock. Odoo's search, group-by and the RADIUS contract view all use
:func:`expiry_state_sql`, so the three can never disagree.
"""

from odoo.tools import SQL

#: Values of the derived status, in display order.
EXPIRY_STATES = [
    ("draft", "Not opened"),
    ("waiting", "Waiting for first dial"),
    ("normal", "Normal"),
    ("expiring", "Expiring"),
    ("expired", "Expired"),
    ("paused", "Paused"),
    ("cancelled", "Cancelled"),
]

#: Stored states a person decided; they win over the dates.
STORED_STATES = ("draft", "waiting", "paused", "cancelled")

DEFAULT_EXPIRING_DAYS = 7


def expiry_state_sql(alias: str, now: SQL | None = None) -> SQL:
    """Return a CASE expression giving the status of the ``zm_subscriber`` row ``alias``.

    ``now`` is a UTC timestamp expression; by default the database clock, so a
    PostgreSQL view built on this expression stays correct without any update job.
    A stored state a person decided (not opened, waiting, paused, cancelled) wins over
    the dates;
    an active account without ``expiry_at`` never expires (internal accounts).
    """
    now = now if now is not None else SQL("(now() AT TIME ZONE 'UTC')")
    state = SQL.identifier(alias, "state")
    expiry = SQL.identifier(alias, "expiry_at")
    window = SQL(
        "COALESCE((SELECT zm_c.zm_expiring_days FROM res_company zm_c WHERE zm_c.id = %s), %s)",
        SQL.identifier(alias, "company_id"),
        DEFAULT_EXPIRING_DAYS,
    )
    return SQL(
        """(CASE
            WHEN %(state)s IN ('draft', 'waiting', 'paused', 'cancelled') THEN %(state)s
            WHEN %(expiry)s IS NULL THEN 'normal'
            WHEN %(expiry)s <= %(now)s THEN 'expired'
            WHEN %(expiry)s <= %(now)s + make_interval(days => %(window)s) THEN 'expiring'
            ELSE 'normal'
        END)""",
        state=state,
        expiry=expiry,
        now=now,
        window=window,
    )
