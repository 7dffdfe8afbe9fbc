"""DDL of the contract, run as written.

The statements below are made only of this module's constants - the schema, relation and
column names of ``zm_rules.contract`` and the views' SQL text - never of input. Odoo's
``SQL()`` cannot carry them: view and function bodies hold literal ``%`` (``LIKE x || '%'``,
``format('%I')``), which ``SQL()`` would read as placeholders.
"""


def ddl(cr, *statements):
    """Run each statement of the contract's DDL."""
    for statement in statements:
        cr.execute(statement)
