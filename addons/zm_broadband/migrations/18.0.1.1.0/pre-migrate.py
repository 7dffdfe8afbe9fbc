"""The business-type rights moved from zm_business to zm_broadband (DESIGN §5: one list).

Renaming their xmlids before the groups file loads keeps the same ``res.groups`` rows,
so no user loses a right and zm_business's update does not delete them.
"""


def migrate(cr, version):
    cr.execute(
        """UPDATE ir_model_data
              SET module = 'zm_broadband'
            WHERE module = 'zm_business' AND model = 'res.groups'
              AND name LIKE 'group\\_right\\_%'
              AND NOT EXISTS (
                  SELECT 1 FROM ir_model_data d
                   WHERE d.module = 'zm_broadband' AND d.name = ir_model_data.name
              )"""
    )
