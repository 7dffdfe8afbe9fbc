"""Billing partners carry their account's area (area rules on partners), and the
broadband cash journal no longer shares the name "Cash" with the chart's own."""


def migrate(cr, version):
    cr.execute(
        """UPDATE res_partner p
              SET zm_area_id = s.area_id
             FROM zm_subscriber s
            WHERE s.partner_id = p.id AND p.zm_area_id IS DISTINCT FROM s.area_id"""
    )
    cr.execute(
        """UPDATE account_journal
              SET name = name || '{"en_US": "Counter Cash"}'::jsonb
            WHERE code = 'ZMCSH' AND name->>'en_US' = 'Cash'"""
    )
