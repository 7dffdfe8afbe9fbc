from datetime import UTC, datetime

from odoo import fields, models, tools
from odoo.tools import SQL

from zm_rules import contract

from ..sql import ddl

S = contract.SCHEMA


def _naive_utc(value):
    if isinstance(value, datetime) and value.tzinfo:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


class UtcDatetime(fields.Datetime):
    """A ``timestamptz`` column of the bridge read as Odoo's naive UTC datetime.

    The views expose the bridge's columns as they are, so that a filter on a date reaches
    the column itself: PostgreSQL then prunes the history's monthly partitions. Odoo's
    fetch puts the driver's aware values in its cache as they are: every way out (record,
    export, display) makes them naive UTC, and every value that goes into a query is sent
    as an aware UTC instant, so the database session's time zone never shifts a filter.
    """

    def convert_to_cache(self, value, record, validate=True):
        return super().convert_to_cache(_naive_utc(value), record, validate)

    def convert_to_record(self, value, record):
        return super().convert_to_record(_naive_utc(value), record)

    def convert_to_read(self, value, record, use_display_name=True):
        return super().convert_to_read(_naive_utc(value), record, use_display_name)

    def convert_to_export(self, value, record):
        return super().convert_to_export(_naive_utc(value), record)

    def convert_to_display_name(self, value, record):
        return super().convert_to_display_name(_naive_utc(value), record)

    def convert_to_column(self, value, record, values=None, validate=True):
        value = self.to_datetime(_naive_utc(value)) if value else value
        return value.replace(tzinfo=UTC) if isinstance(value, datetime) else value


class ZmUtcInstants(models.AbstractModel):
    """Group the bridge's instants by day, week, month in the user's time zone.

    Odoo groups a datetime as ``timezone(tz, timezone('UTC', column))``, right for its own
    naive UTC columns; on a ``timestamptz`` it shifts the other way (a session ended at
    20:00 UTC lands on the previous day in Shanghai). While a group-by is built, these
    columns are read as naive UTC; filters keep the raw column (partition pruning).
    """

    _name = "zm.utc.instants.mixin"
    _description = "Bridge instants grouped in the user's time zone"

    def _read_group_groupby(self, groupby_spec, query):
        fname = groupby_spec.split(":")[0].split(".")[0]
        if isinstance(self._fields.get(fname), UtcDatetime):
            self = self.with_context(zm_naive_utc=True)  # noqa: PLW0642
        return super()._read_group_groupby(groupby_spec, query)

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        sql = super()._field_to_sql(alias, fname, query, flush)
        if self.env.context.get("zm_naive_utc") and isinstance(
            self._fields.get(fname), UtcDatetime
        ):
            return SQL("(%s AT TIME ZONE 'UTC')", sql)
        return sql


#: what a session list shows of the account and the NAS, joined once in the view; by the
#: account's id the bridge recorded (contract 4), never by name: a name may have been
#: renamed away and taken by another account since
_ACCOUNT_JOIN = """
  LEFT JOIN zm_subscriber a ON a.id = x.account_id
  LEFT JOIN zm_nas n ON n.id = x.nas_id
"""

_COMMON = """
       x.id AS id,
       x.username AS username,
       a.id AS subscriber_id,
       a.area_id AS area_id,
       a.property AS property,
       a.access_type AS access_type,
       a.package_id AS package_id,
       COALESCE(a.company_id, n.company_id) AS company_id,
       n.id AS nas_id,  -- NULL once the NAS is deleted: its records stay readable
       x.acct_session_id AS acct_session_id,
       x.nas_port_id AS nas_port_id,
       x.started_at AS started_at,
       x.updated_at AS updated_at,
       x.session_time AS session_time,
       x.input_bytes AS input_bytes,
       x.output_bytes AS output_bytes,
       host(x.framed_ip) AS framed_ip,
       x.calling_station_id AS calling_station_id,
       x.called_station_id AS called_station_id
"""


class ZmSessionMixin(models.AbstractModel):
    """What live and closed sessions share (C6, G1): a read-only model over a view of the
    bridge's table, with the account's area, property and access type for filters and
    area rules."""

    _name = "zm.session.mixin"
    _inherit = ["zm.utc.instants.mixin"]
    _description = "Broadband Session (common)"
    _auto = False
    _order = "started_at desc"
    _rec_name = "username"

    username = fields.Char(string="Account Name", readonly=True)
    subscriber_id = fields.Many2one("zm.subscriber", string="Account", readonly=True)
    area_id = fields.Many2one("zm.area", readonly=True)
    property = fields.Selection(related="subscriber_id.property", readonly=True)
    access_type = fields.Selection(related="subscriber_id.access_type", readonly=True)
    package_id = fields.Many2one("zm.package", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    nas_id = fields.Many2one("zm.nas", string="NAS", readonly=True)
    acct_session_id = fields.Char(string="Session Id", readonly=True)
    nas_port_id = fields.Char(string="NAS Port", readonly=True)
    started_at = UtcDatetime(string="Start", readonly=True)
    updated_at = UtcDatetime(string="Last Update", readonly=True)
    session_time = fields.Integer(string="Duration (s)", readonly=True)
    duration = fields.Char(compute="_compute_duration")
    input_bytes = fields.Float(string="Upload (bytes)", readonly=True, digits=(20, 0))
    output_bytes = fields.Float(string="Download (bytes)", readonly=True, digits=(20, 0))
    input_mb = fields.Float(string="Upload (MB)", compute="_compute_mb", digits=(16, 1))
    output_mb = fields.Float(string="Download (MB)", compute="_compute_mb", digits=(16, 1))
    framed_ip = fields.Char(string="IP Address", readonly=True)
    calling_station_id = fields.Char(string="MAC", readonly=True)
    called_station_id = fields.Char(string="Called Station Id", readonly=True)

    def _compute_duration(self):
        for session in self:
            seconds = session.session_time or 0
            hours, rest = divmod(seconds, 3600)
            session.duration = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"

    def _compute_mb(self):
        for session in self:
            session.input_mb = (session.input_bytes or 0) / 1_000_000
            session.output_mb = (session.output_bytes or 0) / 1_000_000

    def _zm_view(self, select):
        self.env["zm.radius.schema"]._zm_create_tables()
        tools.drop_view_if_exists(self.env.cr, self._table)
        ddl(self.env.cr, f"CREATE VIEW {self._table} AS {select}")


class ZmSession(models.Model):
    """Who is online now (C6): the bridge's live sessions."""

    _name = "zm.session"
    _inherit = "zm.session.mixin"
    _description = "Broadband Online Session"
    _auto = False

    last_seen_at = UtcDatetime(string="Last Heard", readonly=True)

    def init(self):
        self._zm_view(
            f"""SELECT {_COMMON},
                       x.last_seen_at AS last_seen_at
                  FROM {S}.session x {_ACCOUNT_JOIN}"""
        )


class ZmSessionHistory(models.Model):
    """Session records (G1): closed sessions, months of them, partitioned by month of
    their end; lists filter on the end date, which PostgreSQL prunes partitions by."""

    _name = "zm.session.history"
    _inherit = "zm.session.mixin"
    _description = "Broadband Session Record"
    _auto = False
    _order = "stopped_at desc"

    stopped_at = UtcDatetime(string="Stop", readonly=True)
    terminate_cause = fields.Char(readonly=True)
    closed_by = fields.Selection(
        [
            ("stop", "Stop from the NAS"),
            ("nas_reboot", "NAS restarted"),
            ("stale", "Silent too long"),
            ("superseded", "Superseded"),
        ],
        readonly=True,
    )

    def init(self):
        self._zm_view(
            f"""SELECT {_COMMON},
                       x.stopped_at AS stopped_at,
                       x.terminate_cause AS terminate_cause,
                       x.closed_by AS closed_by
                  FROM {S}.session_history x {_ACCOUNT_JOIN}"""
        )
