"""Contract 4: a NAS serves only its own company's subscribers, unless shared with all.

A NAS that served another company's subscribers before the update (their sessions or
accepted logins of the last 40 days say so) is marked shared, so that nobody is cut off by the update; the log
and the NAS's chatter say which, for a manager to decide. Rows from before the update
name their account only by name, so that is what is joined here.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute(
        """WITH seen AS (
               SELECT x.nas_id, s.company_id
                 FROM zm_radius.session_history x
                 JOIN zm_subscriber s ON lower(s.name) = x.username
                WHERE x.stopped_at > now() - interval '40 days'
               UNION
               SELECT x.nas_id, s.company_id
                 FROM zm_radius.session x
                 JOIN zm_subscriber s ON lower(s.name) = x.username
               UNION  -- a NAS that sends no accounting (a hotspot) shows in its logins
               SELECT x.nas_id, s.company_id
                 FROM zm_radius.auth_log x
                 JOIN zm_subscriber s ON lower(s.name) = x.username
                WHERE x.result = 'accept' AND x.at > now() - interval '40 days')
           UPDATE zm_nas n SET serve_all_companies = true
             FROM (SELECT DISTINCT nas_id, company_id FROM seen) seen
            WHERE seen.nas_id = n.id AND seen.company_id <> n.company_id
              AND NOT COALESCE(n.serve_all_companies, false)
        RETURNING n.id"""
    )
    shared = sorted({row[0] for row in cr.fetchall()})
    if not shared:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    nas = env["zm.nas"].browse(shared)
    _logger.warning(
        "NAS %s served subscribers of other companies: marked 'Serve all companies' so "
        "that they stay online; clear it where that was not meant",
        ", ".join(nas.mapped("name")),
    )
    for record in nas:
        record.message_post(
            body=env._(
                "This NAS served subscribers of other companies in the last 40 days, so the "
                "update marked it 'Serve all companies' and they stay online. Clear it if "
                "only this NAS's own company should be served."
            )
        )
