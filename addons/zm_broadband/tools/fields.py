"""Which written fields change what a record is."""

#: what Odoo itself keeps up to date on any record with a chatter (messages, followers,
#: activities): never a change of the record's substance
BOOKKEEPING = ("message_", "activity_")


def guarded_fields(vals, free=()) -> list[str]:
    """The fields of ``vals`` that change what the record is: neither Odoo's bookkeeping
    nor one of ``free``."""
    return [f for f in vals if f not in free and not f.startswith(BOOKKEEPING)]
