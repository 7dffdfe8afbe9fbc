"""The broadband journals became chart data (like Odoo's own Cash and Bank journals).

Their xmlids move from ``zm_broadband.<company>_journal_<code>`` to the chart's
``account.<company>_zm_journal_<code>``, so the same journal rows stay in use and the
chart loader recognises them.
"""


def migrate(cr, version):
    cr.execute(
        r"""UPDATE ir_model_data
              SET module = 'account',
                  name = split_part(name, '_journal_', 1) || '_zm_journal_'
                         || split_part(name, '_journal_', 2)
            WHERE module = 'zm_broadband' AND model = 'account.journal'
              AND name ~ '^\d+_journal_'"""
    )
