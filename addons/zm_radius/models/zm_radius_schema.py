import logging
import re

from odoo import api, models
from odoo.tools import SQL

from zm_rules import contract

from ..sql import ddl

_logger = logging.getLogger(__name__)

S = contract.SCHEMA

#: the package's quota period as the contract names it
_QUOTA_PERIOD = """CASE
    WHEN pk.id IS NULL OR (COALESCE(pk.quota_hours, 0) = 0 AND COALESCE(pk.quota_gb, 0) = 0)
        THEN 'none'
    WHEN pk.period_mode = 'natural' THEN 'natural_' || COALESCE(pk.quota_period, 'month')
    ELSE 'cycle_' || COALESCE(pk.quota_period, 'month')
END"""


#: the contract's pool columns: (column, pool kind, address family)
POOL_COLUMNS = tuple(
    (f"{prefix}_{kind}", kind, family)
    for prefix, family in (("pool", "ipv4"), ("pool6", "ipv6"), ("pd_pool", "ipv6_prefix"))
    for kind in ("normal", "expiring", "expired")
)

#: Per account ``s`` (area ``ar``), the most specific active pool of each kind and family:
#: one for its package before one for its area, a deeper area before a shallower one, then
#: the pool's sequence. One pass over the company's pools for all nine columns — nine
#: correlated subqueries made the plan hundreds of nodes long, and every lookup paid for it.
_POOL_PICKS = ",\n           ".join(
    f"max(q.name) FILTER (WHERE q.kind = '{kind}' AND q.family = '{family}') AS {column}"
    for column, kind, family in POOL_COLUMNS
)
_POOLS = f"""LEFT JOIN LATERAL (
    SELECT {_POOL_PICKS}
      FROM (SELECT DISTINCT ON (p.kind, p.family) p.name, p.kind, p.family
              FROM zm_ip_pool p
              CROSS JOIN LATERAL (
                  SELECT count(*) > 0 AS restricted,
                         COALESCE(bool_or(r.zm_package_id = s.package_id), false) AS mine
                    FROM zm_ip_pool_zm_package_rel r WHERE r.zm_ip_pool_id = p.id) pp
              CROSS JOIN LATERAL (
                  SELECT count(*) > 0 AS restricted,
                         max(length(pa.parent_path))
                             FILTER (WHERE ar.parent_path LIKE pa.parent_path || '%') AS depth
                    FROM zm_area_zm_ip_pool_rel r JOIN zm_area pa ON pa.id = r.zm_area_id
                   WHERE r.zm_ip_pool_id = p.id) pa
             WHERE p.active AND p.company_id = s.company_id
               AND (NOT pp.restricted OR pp.mine)
               AND (NOT pa.restricted OR pa.depth IS NOT NULL)
             ORDER BY p.kind, p.family, pp.restricted DESC, pa.depth DESC NULLS LAST,
                      p.sequence, p.id) q
  ) pl ON true"""


#: a name this transaction already fed is not fed again (index on (txid, username))
_UNFED = f"""
                       AND NOT EXISTS (SELECT 1 FROM {S}.account_change c
                                        WHERE c.txid = pg_current_xact_id()
                                          AND c.username = lower(s.name))"""

#: the bridge's tables whose rows name their account by id since contract 4
_ATTRIBUTED = ("session", "session_history", "auth_log")

ACCOUNT_VIEW = f"""
SELECT s.id::bigint AS account_id,
       lower(s.name)::text AS username,
       s.password::text AS password_clear,
       s.nt_hash::text AS nt_hash,
       s.password_crypt::text AS password_crypt,
       s.state::text AS state,
       (s.expiry_at AT TIME ZONE 'UTC') AS expiry_at,
       (COALESCE(s.zm_period_start, s.first_dial_at, s.opened_at) AT TIME ZONE 'UTC')
           AS period_start,
       COALESCE(fd.first_dial_at, s.first_dial_at AT TIME ZONE 'UTC') AS first_dial_at,
       ({_QUOTA_PERIOD})::text AS quota_period,
       CASE WHEN COALESCE(pk.quota_hours, 0) > 0
            THEN round(pk.quota_hours * 3600)::bigint END AS quota_seconds,
       CASE WHEN COALESCE(pk.quota_gb, 0) > 0
            THEN round(pk.quota_gb * 1000000000)::bigint END AS quota_octets,
       rt.up_kbps AS rate_up_kbps,
       rt.down_kbps AS rate_down_kbps,
       NULLIF(rt.burst_up_kbps, 0) AS burst_up_kbps,
       NULLIF(rt.burst_down_kbps, 0) AS burst_down_kbps,
       (SELECT jsonb_object_agg(pr.vendor, pr.profile_name) FROM zm_rate_template_profile pr
         WHERE pr.template_id = rt.id) AS vendor_profiles,
       pl.pool_normal::text AS pool_normal,
       pl.pool_expiring::text AS pool_expiring,
       pl.pool_expired::text AS pool_expired,
       pl.pool6_normal::text AS pool6_normal,
       pl.pool6_expiring::text AS pool6_expiring,
       pl.pool6_expired::text AS pool6_expired,
       pl.pd_pool_normal::text AS pd_pool_normal,
       pl.pd_pool_expiring::text AS pd_pool_expiring,
       pl.pd_pool_expired::text AS pd_pool_expired,
       s.fixed_ip::inet AS fixed_ip,
       COALESCE(s.bind_mac, fd.mac)::text AS bind_mac,
       COALESCE(s.bind_nas_ident, fd.nas)::text AS bind_nas,
       COALESCE(s.auto_bind_mac, false) AS auto_bind_mac,
       COALESCE(s.auto_bind_nas, false) AS auto_bind_nas,
       s.session_limit AS session_limit,
       s.area_id::bigint AS area_id,
       COALESCE(c.zm_tz, '{contract.DEFAULT_TIME_ZONE}')::text AS time_zone,
       -- restricted when it owes more than the credit the manager allowed it (DESIGN §3:
       -- an account may run on credit up to its limit); without a limit, any unpaid invoice
       COALESCE((SELECT SUM(l.amount_residual) FROM account_move_line l
                   JOIN account_account aa ON aa.id = l.account_id
                  WHERE l.partner_id = s.partner_id AND l.parent_state = 'posted'
                    AND aa.account_type = 'asset_receivable' AND NOT l.reconciled), 0)
           > COALESCE(s.credit_limit, 0) + 0.005 AS in_arrears,
       s.company_id::bigint AS company_id
  FROM zm_subscriber s
  JOIN res_company c ON c.id = s.company_id
  JOIN zm_area ar ON ar.id = s.area_id
  LEFT JOIN zm_package pk ON pk.id = s.package_id
  LEFT JOIN zm_rate_template rt ON rt.id = pk.rate_template_id
  LEFT JOIN {S}.first_dial fd ON fd.username = lower(s.name)
  {_POOLS}
"""

NAS_VIEW = """
SELECT n.id::integer AS id,
       n.ip::inet AS ip,
       n.nas_identifier::text AS nas_identifier,
       n.secret::text AS secret,
       n.vendor::text AS vendor,
       n.coa_port::integer AS coa_port,
       COALESCE(n.strip_realm, false) AS strip_realm,
       COALESCE(n.require_message_authenticator, true) AS require_message_authenticator,
       COALESCE(n.active, false) AS enabled,
       -- a NAS serves its own company's accounts only, unless shared on purpose
       (CASE WHEN COALESCE(n.serve_all_companies, false) THEN NULL
             ELSE n.company_id END)::bigint AS company_id
  FROM zm_nas n
"""

#: Odoo columns whose change alters an account's RADIUS answer: a row of the change feed
#: in the same transaction, whichever path makes the change (form, desk, import, cron)
SUBSCRIBER_COLUMNS = (
    "name",
    "password",
    "nt_hash",
    "password_crypt",
    "state",
    "expiry_at",
    "zm_period_start",
    "first_dial_at",
    "opened_at",
    "package_id",
    "area_id",
    "company_id",
    "fixed_ip",
    "bind_mac",
    "bind_nas_ident",
    "auto_bind_mac",
    "auto_bind_nas",
    "session_limit",
    "credit_limit",
    "partner_id",
)

#: catalogue tables whose change can alter many accounts' answers at once: the feed row
#: says "everything" (a NULL user name), and the bridge re-reads what it serves
EVERYTHING_TABLES = {
    "zm_package": "rate_template_id, quota_hours, quota_gb, quota_period, period_mode, kind",
    "zm_rate_template": "up_kbps, down_kbps, burst_up_kbps, burst_down_kbps",
    "zm_rate_template_profile": None,
    "zm_ip_pool": None,
    "zm_ip_pool_zm_package_rel": None,
    "zm_area_zm_ip_pool_rel": None,
    "zm_area": "parent_path",
    "res_company": "zm_tz",
}


class ZmRadiusSchema(models.AbstractModel):
    """The RADIUS contract served by Odoo (DESIGN §6, ``docs/radius-contract.md``).

    Creates the schema ``zm_radius``: the bridge's tables (from ``zm_rules.contract``), the
    ``account`` and ``nas`` views over Odoo's tables, the change feed's triggers and the
    function that gives the bridge its monthly history partitions. Run on every install
    and update without dropping anything a running bridge reads.
    """

    _name = "zm.radius.schema"
    _description = "RADIUS Contract Schema"

    def init(self):
        self._zm_create_schema()

    @api.model
    def _zm_create_tables(self):
        """The contract's tables (idempotent): the session views read them. The update
        from a contract before 4 plans the attribution of the rows written until then."""
        cr = self.env.cr
        cr.execute(SQL("SELECT to_regclass(%s)", f"{S}.contract_version"))
        before = None
        if cr.fetchone()[0]:
            cr.execute(SQL(f"SELECT max(version) FROM {S}.contract_version"))
            before = cr.fetchone()[0]
        for statement in contract.render_ddl(S):
            cr.execute(statement)
        self._zm_account_id_triggers()
        if before is not None and before < 4:
            self._zm_plan_name_attribution()

    def _zm_account_id_triggers(self):
        """A session or login-log row written without its account's id — by a bridge of an
        older contract, still running during the update — gets it as it is written: the
        account holding the name at that instant, or nobody. A contract-4 bridge always
        writes the id, so this never runs for it."""
        cr = self.env.cr
        ddl(
            cr,
            f"""CREATE OR REPLACE FUNCTION {S}.odoo_account_id() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                -- it reads Odoo's table as its owner: on the contract's own tables only,
                -- never on a table of the caller's making (types and casts of its own)
                IF TG_TABLE_SCHEMA <> '{S}' OR NOT (TG_TABLE_NAME IN ('session', 'auth_log')
                        OR TG_TABLE_NAME = 'session_history'
                        OR TG_TABLE_NAME ~ '^session_history_y[0-9]+m[0-9]+$') THEN
                    RAISE EXCEPTION 'odoo_account_id() serves the contract tables only';
                END IF;
                NEW.account_id := COALESCE((SELECT s.id FROM public.zm_subscriber s
                                             WHERE lower(s.name) = NEW.username),
                                           {contract.NOBODY})::bigint;
                RETURN NEW;
            END $$""",
        )
        # nobody attaches it to a trigger of their own: a trigger fires without EXECUTE
        ddl(cr, f"REVOKE ALL ON FUNCTION {S}.odoo_account_id() FROM PUBLIC")
        # made once: a trigger dropped or made again would lock the bridge's own tables
        # (its inserts wait) until the whole module update commits
        cr.execute(
            SQL(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE t.tgname = 'zm_radius_account_id' AND n.nspname = %s",
                S,
            )
        )
        present = {row[0] for row in cr.fetchall()}
        for table in _ATTRIBUTED:
            if table not in present:
                ddl(
                    cr,
                    f"""CREATE TRIGGER zm_radius_account_id BEFORE INSERT ON {S}.{table}
                        FOR EACH ROW WHEN (NEW.account_id IS NULL)
                        EXECUTE FUNCTION {S}.odoo_account_id()""",
                )

    @api.model
    def _zm_create_schema(self):
        cr = self.env.cr
        self._zm_create_tables()
        self._zm_view("account", ACCOUNT_VIEW)
        self._zm_view("nas", NAS_VIEW)
        ddl(cr, f"CREATE INDEX IF NOT EXISTS {S}_first_dial_username ON {S}.first_dial (username)")
        self._zm_triggers()
        self._zm_ensure_partitions()
        self._zm_grant()

    def _zm_view(self, name, select):
        """Replace the view in place; only when its columns changed is it dropped and made
        again, in this transaction (a bridge reading it waits, it does not fail)."""
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                ddl(cr, f"CREATE OR REPLACE VIEW {S}.{name} AS {select}")
        except Exception:  # noqa: BLE001 - the columns changed: rebuild
            ddl(cr, f"DROP VIEW IF EXISTS {S}.{name}")
            ddl(cr, f"CREATE VIEW {S}.{name} AS {select}")

    def _zm_triggers(self):
        cr = self.env.cr
        channel = contract.CHANGE_CHANNEL
        ddl(
            cr,
            f"""CREATE OR REPLACE FUNCTION {S}.odoo_account_changed() RETURNS trigger
                LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                -- one feed row per name and transaction: a desk action updates the account
                -- many times, the bridge needs to hear of it once
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    INSERT INTO {S}.account_change (username) SELECT lower(OLD.name)
                     WHERE NOT EXISTS (SELECT 1 FROM {S}.account_change c
                                        WHERE c.txid = pg_current_xact_id()
                                          AND c.username = lower(OLD.name));
                END IF;
                IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.name IS DISTINCT FROM NEW.name) THEN
                    INSERT INTO {S}.account_change (username) SELECT lower(NEW.name)
                     WHERE NOT EXISTS (SELECT 1 FROM {S}.account_change c
                                        WHERE c.txid = pg_current_xact_id()
                                          AND c.username = lower(NEW.name));
                END IF;
                -- The first-dial fact (its time, MAC and NAS) is the account's, not its
                -- name's: it follows a rename, goes with the account, and a new opening
                -- (or a rejected one) waits for a new first dial.
                IF TG_OP = 'DELETE' THEN
                    DELETE FROM {S}.first_dial WHERE username = lower(OLD.name);
                ELSIF TG_OP = 'INSERT' THEN
                    DELETE FROM {S}.first_dial WHERE username = lower(NEW.name);
                ELSE
                    IF lower(OLD.name) IS DISTINCT FROM lower(NEW.name) THEN
                        DELETE FROM {S}.first_dial WHERE username = lower(NEW.name);
                        UPDATE {S}.first_dial SET username = lower(NEW.name)
                         WHERE username = lower(OLD.name);
                    END IF;
                    IF NEW.state IS DISTINCT FROM OLD.state
                       AND NEW.state IN ('draft', 'waiting') THEN
                        DELETE FROM {S}.first_dial WHERE username = lower(NEW.name);
                    END IF;
                END IF;
                PERFORM pg_notify('{channel}', '');
                RETURN NULL;
            END $$""",
        )
        ddl(
            cr,
            f"""CREATE OR REPLACE FUNCTION {S}.odoo_everything_changed() RETURNS trigger
                LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                INSERT INTO {S}.account_change (username) SELECT NULL
                 WHERE NOT EXISTS (SELECT 1 FROM {S}.account_change c
                                    WHERE c.txid = pg_current_xact_id() AND c.username IS NULL);
                PERFORM pg_notify('{channel}', '');
                RETURN NULL;
            END $$""",
        )
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in SUBSCRIBER_COLUMNS)
        self._zm_trigger(
            "zm_radius_account_changed",
            "zm_subscriber",
            f"""AFTER UPDATE OF {", ".join(SUBSCRIBER_COLUMNS)} ON zm_subscriber
                FOR EACH ROW WHEN ({changed})
                EXECUTE FUNCTION {S}.odoo_account_changed()""",
        )
        self._zm_trigger(
            "zm_radius_account_added",
            "zm_subscriber",
            f"""AFTER INSERT OR DELETE ON zm_subscriber
                FOR EACH ROW EXECUTE FUNCTION {S}.odoo_account_changed()""",
        )
        # The arrears flag reads the billing partner's receivable lines: whatever changes
        # them (a desk order, a rejection, a payment, a reconciliation) feeds the accounts of
        # that partner. Statement triggers with transition tables: one pass per statement,
        # and lines of partners that are no billing partner cost one index probe each.
        ddl(
            cr,
            f"""CREATE OR REPLACE FUNCTION {S}.odoo_ledger_changed() RETURNS trigger
                LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO {S}.account_change (username)
                    SELECT DISTINCT lower(s.name) FROM public.zm_subscriber s
                     WHERE s.partner_id IN (SELECT partner_id FROM new_lines){_UNFED};
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO {S}.account_change (username)
                    SELECT DISTINCT lower(s.name) FROM public.zm_subscriber s
                     WHERE s.partner_id IN (SELECT partner_id FROM old_lines){_UNFED};
                ELSE
                    INSERT INTO {S}.account_change (username)
                    SELECT DISTINCT lower(s.name) FROM public.zm_subscriber s
                     WHERE s.partner_id IN (SELECT partner_id FROM new_lines
                                            UNION SELECT partner_id FROM old_lines){_UNFED};
                END IF;
                IF FOUND THEN
                    PERFORM pg_notify('{channel}', '');
                END IF;
                RETURN NULL;
            END $$""",
        )
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_lines"),
            ("UPDATE", "OLD TABLE AS old_lines NEW TABLE AS new_lines"),
            ("DELETE", "OLD TABLE AS old_lines"),
        ):
            self._zm_trigger(
                f"zm_radius_ledger_{event.lower()}",
                "account_move_line",
                f"""AFTER {event} ON account_move_line
                    REFERENCING {tables} FOR EACH STATEMENT
                    EXECUTE FUNCTION {S}.odoo_ledger_changed()""",
            )
        for table, columns in EVERYTHING_TABLES.items():
            events = (
                f"INSERT OR DELETE OR UPDATE OF {columns}"
                if columns
                else ("INSERT OR DELETE OR UPDATE")
            )
            self._zm_trigger(
                "zm_radius_everything_changed",
                table,
                f"""AFTER {events} ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION {S}.odoo_everything_changed()""",
            )

    def _zm_trigger(self, name, table, body):
        """Make the trigger ``name`` on ``table`` (``CREATE TRIGGER name`` + ``body``) only
        when it is missing or defined otherwise. Dropping a trigger locks its table against
        every reader - the bridge's reads of the contract views included - until the whole
        module update commits; an update that changes nothing must not do that.

        The wanted definition is read back from PostgreSQL itself (a probe trigger made in
        a savepoint and rolled back, which frees its lock), so both sides are compared in
        PostgreSQL's own words."""
        cr = self.env.cr
        probe = "zm_radius_probe_trigger"
        with cr.savepoint(flush=False) as savepoint:
            ddl(cr, f"CREATE TRIGGER {probe} {body}")
            cr.execute(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgname = %s AND tgrelid = %s::regclass",
                [probe, table],
            )
            wanted = cr.fetchone()[0].replace(probe, name, 1)
            savepoint.close(rollback=True)  # the probe goes, and its lock with it
        cr.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgname = %s AND tgrelid = %s::regclass",
            [name, table],
        )
        row = cr.fetchone()
        if row and row[0] == wanted:
            return
        ddl(cr, f"DROP TRIGGER IF EXISTS {name} ON {table}", f"CREATE TRIGGER {name} {body}")

    @api.model
    def _zm_ensure_partitions(self, months_ahead=2):
        """This month's and the next months' history partitions (the cron keeps it so)."""
        self.env.cr.execute(
            SQL(
                f"""SELECT {S}.history_partition(extract(year FROM m)::int,
                                                 extract(month FROM m)::int)
                  FROM generate_series(date_trunc('month', now() AT TIME ZONE 'UTC')
                                       - interval '1 month',
                                       date_trunc('month', now() AT TIME ZONE 'UTC')
                                       + make_interval(months => %s), interval '1 month') m""",
                int(months_ahead),
            )
        )

    @api.model
    def _cron_housekeeping(self, batch=50_000):
        """Daily: the change feed's rows the bridge has read (a day old, their transaction
        long ended) and login-log rows past ``zm_radius.auth_log_days`` (180 by default;
        0 keeps them for ever) go, a batch per table per run; rows from before contract 4
        get their account (``_zm_plan_name_attribution``); while work remains the cron
        comes back at once (Odoo's cron progress). Session records are kept."""
        cr = self.env.cr
        cr.execute(
            SQL(
                f"""DELETE FROM {S}.account_change WHERE seq IN (
                        SELECT seq FROM {S}.account_change
                         WHERE changed_at < now() - interval '1 day'
                           AND txid < pg_snapshot_xmin(pg_current_snapshot())
                         ORDER BY seq LIMIT %s)""",
                batch,
            )
        )
        feed = cr.rowcount
        param = self.env["ir.config_parameter"].sudo().get_param("zm_radius.auth_log_days")
        try:
            days = int(param) if param not in (None, False, "") else 180
        except ValueError:
            _logger.warning("zm_radius.auth_log_days %r is no number of days: 180", param)
            days = 180
        logs = 0
        if days > 0:
            cr.execute(
                SQL(
                    f"""DELETE FROM {S}.auth_log WHERE id IN (
                            SELECT id FROM {S}.auth_log
                             WHERE at < now() - make_interval(days => %s)
                             ORDER BY at LIMIT %s)""",
                    days,
                    batch,
                )
            )
            logs = cr.rowcount
        unattributed = self._zm_attribute_by_name(batch)
        more = feed == batch or logs == batch or unattributed > 0
        self.env["ir.cron"]._notify_progress(done=feed + logs, remaining=1 if more else 0)
        return feed, logs

    def _zm_plan_name_attribution(self):
        """Rows the bridge wrote before contract 4 have no account id; Odoo lists them under
        the account that has their name (the best there is for them), in batches by the
        housekeeping cron. Planned once, by the update from an older contract; rows written
        since get their id as they are written (``_zm_account_id_triggers``)."""
        Param = self.env["ir.config_parameter"].sudo()
        planned = False
        for table in _ATTRIBUTED:
            self.env.cr.execute(
                SQL(f"SELECT coalesce(max(id), 0) FROM {S}.{table} WHERE account_id IS NULL")
            )
            upto = self.env.cr.fetchone()[0]
            Param.set_param(f"zm_radius.name_attribution.{table}", f"0:{upto}")
            planned = planned or upto > 0
        cron = self.env.ref("zm_radius.ir_cron_zm_radius_housekeeping", raise_if_not_found=False)
        if planned and cron:
            cron._trigger()

    def _zm_attribute_by_name(self, batch):
        """One batch of the planned attribution per table; the rows still to look at."""
        Param = self.env["ir.config_parameter"].sudo()
        remaining = 0
        for table in _ATTRIBUTED:
            key = f"zm_radius.name_attribution.{table}"
            try:
                done, upto = (int(v) for v in (Param.get_param(key) or "0:0").split(":"))
            except ValueError:
                _logger.warning("%s is %r: attribution by name skipped", key, Param.get_param(key))
                continue
            if done >= upto:
                continue
            self.env.cr.execute(SQL(f"SELECT coalesce(max(id), 0) FROM {S}.{table}"))
            upto = min(upto, self.env.cr.fetchone()[0])  # never past the rows there are
            end = min(done + batch, upto)
            self.env.cr.execute(
                SQL(
                    f"""UPDATE {S}.{table} x SET account_id = s.id FROM zm_subscriber s
                         WHERE x.id > %s AND x.id <= %s AND x.account_id IS NULL
                           AND lower(s.name) = x.username""",
                    done,
                    end,
                )
            )
            Param.set_param(key, f"{max(end, done)}:{upto}")
            remaining += max(0, upto - end)
        return remaining

    @api.model
    def _cron_partitions(self):
        """Monthly: keep the coming months' session history partitions ready."""
        self._zm_ensure_partitions()

    def _zm_grant(self):
        """The bridge's own role, when it exists, gets exactly what the contract lists."""
        role = self._zm_bridge_role()
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if not cr.fetchone():
            _logger.info("no database role %s yet: the bridge's grants wait for it", role)
            return
        for grant in contract.bridge_grants(role, S):
            cr.execute(grant)
        # partitions made later are reached through the parent table's grants
        self._zm_close_public_schema(role)

    def _zm_close_public_schema(self, role):
        """Odoo makes its databases with ``GRANT CREATE ON SCHEMA public TO PUBLIC``: any
        role could then plant objects there (a ``public.lower(varchar)``, say) that Odoo's
        own queries would run with the database owner's rights. The database owner keeps
        CREATE (``pg_database_owner``); the bridge's role must have it nowhere."""
        cr = self.env.cr
        cr.execute(
            "SELECT pg_has_role(current_user, n.nspowner, 'USAGE') FROM pg_namespace n "
            "WHERE n.nspname = 'public'"
        )
        row = cr.fetchone()
        if row and row[0]:
            cr.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        cr.execute(contract.creatable_schemas_sql("%s"), [role])
        schemas = cr.fetchone()[0]
        if schemas:
            _logger.error(
                "the RADIUS bridge's role %s may create objects in schema(s) %s: revoke it "
                "(REVOKE CREATE ON SCHEMA … FROM PUBLIC, as the database owner)",
                role,
                schemas,
            )

    @api.model
    def _zm_bridge_role(self):
        role = (
            self.env["ir.config_parameter"].sudo().get_param("zm_radius.bridge_role", "zm_bridge")
        )
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
            # a role name this add-on writes into its grants unquoted: lower-case letters,
            # digits and underscores only; anything else must not stop a module update
            _logger.error(
                "zm_radius.bridge_role %r is not a plain lower-case role name: using zm_bridge",
                role,
            )
            return "zm_bridge"
        return role
