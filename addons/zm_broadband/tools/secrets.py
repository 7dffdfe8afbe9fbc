"""Secret columns written apart from the rest of a record.

Odoo logs every statement that fails, with its parameters (``bad query: …``). A NAS's
shared secret or an account's cleartext password in the same INSERT or UPDATE as a
duplicate address, a missing area or any other refused value would land in the server's
log (and at DEBUG, ``--log-sql``, every statement is). These helpers take the secrets out
of the values, let the ORM write the rest, and then write the secrets in a statement of
their own that is never logged.
"""

import logging
from contextlib import contextmanager

from odoo.tools import SQL

_sql_logger = logging.getLogger("odoo.sql_db")


@contextmanager
def no_query_log():
    """Odoo logs every statement with its parameters at DEBUG (``--log-sql``); not this one."""
    if not _sql_logger.isEnabledFor(logging.DEBUG):
        yield
        return
    level = _sql_logger.level
    _sql_logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        _sql_logger.setLevel(level)


def pop_secrets(records, vals, fnames, creating=False):
    """The secret values of ``vals`` (removed from it). On create a required secret gets a
    placeholder, replaced by :func:`write_secrets` in the same transaction."""
    fnames = [fname for fname in fnames if fname in vals and fname in records._fields]
    if fnames and not records.env.su:
        # the fields' own groups still decide who may write them
        records.check_field_access_rights("write", fnames)
    secrets = {fname: vals.pop(fname) for fname in fnames}
    if creating:
        for fname in secrets:
            if records._fields[fname].required:
                vals[fname] = ""
    return secrets


def write_secrets(records, secrets):
    """Write ``secrets`` (one value per field, the same for every record) unlogged."""
    if not secrets or not records:
        return
    if not records.env.su:
        records.check_access("write")
    records.flush_recordset()
    assignments = SQL(", ").join(
        SQL("%s = %s", SQL.identifier(fname), value or None) for fname, value in secrets.items()
    )
    with no_query_log():
        records.env.cr.execute(
            SQL(
                "UPDATE %s SET %s WHERE id = ANY(%s)",
                SQL.identifier(records._table),
                assignments,
                records.ids,
            ),
            log_exceptions=False,
        )
    records.invalidate_recordset(list(secrets))
