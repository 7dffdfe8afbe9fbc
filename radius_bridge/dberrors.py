"""What a failed accounting transaction means: the record's fault, a race, or the server's.

Only an error caused by one record's data may isolate that record (bisect the batch and drop
it, unanswered). A full disk, a statement or lock timeout, a read-only replica, an I/O error,
an operator's intervention or a lost connection says nothing about the records: refusing
them would drop every record while the server is sick, so they are spooled and replayed (or
left unanswered for the NAS to retry when there is no spool room), never refused.
"""

from __future__ import annotations

import asyncpg

DATA, RETRY, UNAVAILABLE = "data", "retry", "unavailable"

# Two writers of one key meeting head-on (serialization failure, deadlock, an insert racing
# ours on a unique key): the whole batch is simply tried again.
RETRY_STATES = frozenset(("40001", "40P01", "23505"))
# SQLSTATE classes a record's own values cause: 22 data exception (bad text, a number out of
# range, asyncpg's own "invalid input for query argument"), 23 integrity constraint
# violation, 54 program limit exceeded (a value too large for an index row).
DATA_CLASSES = frozenset(("22", "23", "54"))

# Errors raised before any SQLSTATE exists: the server is not there.
_UNREACHABLE = (OSError, TimeoutError, asyncpg.InterfaceError)


def classify(exc: BaseException) -> str:
    """DATA, RETRY or UNAVAILABLE for an exception out of an accounting transaction.

    Server errors are judged by SQLSTATE, everything not known to be the data's fault is
    UNAVAILABLE: class 53 insufficient resources (disk full, out of memory, too many
    connections), 57 operator intervention (query_canceled: statement timeout; admin
    shutdown), 58 system error (I/O), 08 connection, 25006 read-only transaction, 55P03 lock
    not available (lock timeout), XX internal errors, 42 (a missing privilege or relation: the
    configuration, not the record). A Python error that is no database error (a bug a
    record's odd values trip) is DATA: bisecting isolates the record instead of spooling every
    record for ever.
    """
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        if state in RETRY_STATES:
            return RETRY
        if state[:2] in DATA_CLASSES:
            return DATA
        return UNAVAILABLE
    if isinstance(exc, ValueError) and isinstance(exc, asyncpg.InterfaceError):
        return DATA  # asyncpg could not encode one of the values
    if isinstance(exc, _UNREACHABLE):
        return UNAVAILABLE
    return DATA


def sqlstate(exc: BaseException) -> str:
    return getattr(exc, "sqlstate", None) or ""
