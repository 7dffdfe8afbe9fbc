from odoo import fields, models, tools

from zm_rules import contract

from ..sql import ddl
from .zm_session import UtcDatetime

S = contract.SCHEMA


class ZmAuthLog(models.Model):
    """Every login decision of the bridge, with its reason: "why was this subscriber
    rejected at 21:03?" (the NAS is told only "Authentication failed")."""

    _name = "zm.auth.log"
    _inherit = ["zm.utc.instants.mixin"]
    _description = "Broadband Login Log"
    _auto = False
    _order = "at desc"
    _rec_name = "username"

    at = UtcDatetime(string="Time", readonly=True)
    username = fields.Char(string="Account Name", readonly=True)
    subscriber_id = fields.Many2one("zm.subscriber", string="Account", readonly=True)
    area_id = fields.Many2one("zm.area", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    nas_id = fields.Many2one("zm.nas", string="NAS", readonly=True)
    calling_station_id = fields.Char(string="MAC", readonly=True)
    method = fields.Char(readonly=True)
    result = fields.Selection([("accept", "Accepted"), ("reject", "Rejected")], readonly=True)
    reason = fields.Char(readonly=True)

    def init(self):
        self.env["zm.radius.schema"]._zm_create_tables()
        tools.drop_view_if_exists(self.env.cr, self._table)
        ddl(
            self.env.cr,
            f"""CREATE VIEW {self._table} AS
                SELECT x.id AS id, x.at AS at, x.username AS username,
                       a.id AS subscriber_id, a.area_id AS area_id,
                       COALESCE(a.company_id, n.company_id) AS company_id,
                       n.id AS nas_id, x.calling_station_id AS calling_station_id,
                       x.method AS method, x.result AS result, x.reason AS reason
                  FROM {S}.auth_log x
                  LEFT JOIN zm_subscriber a ON a.id = x.account_id
                  LEFT JOIN zm_nas n ON n.id = x.nas_id""",
        )
