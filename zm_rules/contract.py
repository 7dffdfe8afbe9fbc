"""The RADIUS contract between the provider (Odoo's zm_radius, or the bench seed) and the bridge.

Pure data plus a DDL renderer; no I/O. Both sides' tests import it, so a column renamed here
breaks the side that did not follow. ``docs/radius-contract.md`` explains each rule.

The provider owns the two *read* relations (``account`` and ``nas``: views in Odoo, plain
tables of the same shape in the bench) and the change feed ``account_change``. The bridge owns
every other table and may only read/update ``command``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CONTRACT_VERSION = 4

#: ``account_id`` of a session or login-log row whose name no account had when it was
#: written: nobody's for good, whoever takes the name later (NULL: written before contract 4)
NOBODY = 0
SCHEMA = "zm_radius"

#: ``draft``: created in Odoo, never opened (nothing sold): always rejected
STATES = ("draft", "waiting", "active", "paused", "cancelled")
DERIVED_STATES = ("draft", "waiting", "normal", "expiring", "expired", "paused", "cancelled")
QUOTA_PERIODS = ("none", "natural_day", "natural_month", "cycle_day", "cycle_month")
VENDORS = ("standard", "mikrotik", "huawei")
# NOTIFY channel of the change feed: the provider (and the bridge, for its first-dial
# writes) notifies it in the transaction that inserts ``account_change`` rows.
CHANGE_CHANNEL = "zm_radius_account_change"
# session_history.closed_by: only "stop" is final; a later record of a session closed any
# other way reopens or corrects it.
CLOSED_BY = ("stop", "nas_reboot", "stale", "superseded")
COMMAND_CHANNEL = "zm_radius_command"
DEFAULT_TIME_ZONE = "Asia/Shanghai"
# The default of the company setting Odoo uses for its "expiring" filter (zm_expiring_days).
DEFAULT_EXPIRING_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    meaning: str


@dataclass(frozen=True)
class Relation:
    name: str
    meaning: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


C = Column

ACCOUNT = Relation(
    "account",
    "One row per broadband account; the bridge's only source of authorisation data.",
    (
        C("account_id", "bigint NOT NULL", "Stable account id (zm.subscriber id)."),
        C("username", "text NOT NULL", "Account name, lower-case; matched case-insensitively."),
        C("password_clear", "text", "Cleartext password (PAP, CHAP, MS-CHAPv2); restricted."),
        C("nt_hash", "text", "NT hash, 32 hex digits (MS-CHAPv2 without cleartext)."),
        C("password_crypt", "text", "Imported crypt(3) hash; PAP only."),
        C("state", "text NOT NULL", "Stored state: " + " / ".join(STATES) + "."),
        C("expiry_at", "timestamptz", "UTC instant the paid period ends; NULL = no expiry yet."),
        C("period_start", "timestamptz", "Start of the current quota period."),
        C("first_dial_at", "timestamptz", "First successful login, from zm_radius.first_dial."),
        C("quota_period", "text NOT NULL DEFAULT 'none'", " / ".join(QUOTA_PERIODS) + "."),
        C("quota_seconds", "bigint", "Online seconds allowed per period; NULL = unlimited."),
        C("quota_octets", "bigint", "Octets (in + out) allowed per period; NULL = unlimited."),
        C("rate_up_kbps", "integer", "Upload rate limit in kbit/s; NULL = none."),
        C("rate_down_kbps", "integer", "Download rate limit in kbit/s; NULL = none."),
        C("burst_up_kbps", "integer", "Upload burst rate in kbit/s."),
        C("burst_down_kbps", "integer", "Download burst rate in kbit/s."),
        C("vendor_profiles", "jsonb", 'Per-vendor profile names, e.g. {"mikrotik": "10M"}.'),
        C("pool_normal", "text", "Address pool while in good standing."),
        C("pool_expiring", "text", "Pool while expiring (NULL = pool_normal)."),
        C("pool_expired", "text", "Restricted pool when expired/in arrears; NULL = reject."),
        C("pool6_normal", "text", "IPv6 address pool (Framed-IPv6-Pool) in good standing."),
        C("pool6_expiring", "text", "IPv6 address pool while expiring (NULL = pool6_normal)."),
        C("pool6_expired", "text", "IPv6 address pool when restricted; NULL = none."),
        C("pd_pool_normal", "text", "Delegated-IPv6-Prefix-Pool in good standing."),
        C("pd_pool_expiring", "text", "Prefix pool while expiring (NULL = pd_pool_normal)."),
        C("pd_pool_expired", "text", "Prefix pool when restricted; NULL = none."),
        C("fixed_ip", "inet", "Fixed IPv4 address, sent as Framed-IP-Address."),
        C("bind_mac", "text", "Bound Calling-Station-Id (MAC); NULL = any."),
        C("bind_nas", "text", "Bound NAS (IP or NAS-Identifier); NULL = any."),
        C("auto_bind_mac", "boolean NOT NULL DEFAULT false", "Bind the MAC of the first dial."),
        C("auto_bind_nas", "boolean NOT NULL DEFAULT false", "Bind the NAS of the first dial."),
        C("session_limit", "integer", "Simultaneous sessions allowed; NULL = unlimited."),
        C("area_id", "bigint", "Area (zm.area id)."),
        C("time_zone", "text NOT NULL DEFAULT 'Asia/Shanghai'", "Zone natural periods cut in."),
        C(
            "in_arrears",
            "boolean NOT NULL DEFAULT false",
            "Owes more than its credit limit (no limit: any unpaid invoice): restricted.",
        ),
        C(
            "company_id",
            "bigint",
            "Company (res.company id) selling the account; only its NAS serve it. NULL = any.",
        ),
    ),
)

NAS = Relation(
    "nas",
    "One row per NAS client.",
    (
        C("id", "integer NOT NULL", "NAS id (zm.nas id)."),
        C("ip", "inet", "Source address; NULL for NAS recognised by NAS-Identifier."),
        C("nas_identifier", "text", "NAS-Identifier, for NAS without a fixed IP."),
        C("secret", "text NOT NULL", "Shared secret; never logged."),
        C("vendor", "text NOT NULL DEFAULT 'standard'", " / ".join(VENDORS) + "."),
        C("coa_port", "integer NOT NULL DEFAULT 3799", "Dynamic-authorisation port (RFC 5176)."),
        C("strip_realm", "boolean NOT NULL DEFAULT false", "Strip @realm from User-Name."),
        C(
            "require_message_authenticator",
            "boolean NOT NULL DEFAULT true",
            "Drop Access-Requests without Message-Authenticator (BlastRADIUS).",
        ),
        C("enabled", "boolean NOT NULL DEFAULT true", "Disabled NAS are unknown clients."),
        C(
            "company_id",
            "bigint",
            "Company (res.company id) owning the NAS; it serves only that company's accounts. "
            "NULL = any company's.",
        ),
    ),
)

# The contract's tables. Text is DDL with {s} = schema; order respects dependencies.
# The provider writes ``contract_version`` and ``account_change`` and queues ``command``;
# the bridge writes the others and may only update ``command.status`` / ``updated_at``.
PROVIDER_WRITTEN = ("contract_version", "account_change", "command")
# The bridge also inserts into the provider's change feed (its own first-dial writes).
BRIDGE_INSERTS_INTO = ("account_change",)
_SESSION_COLUMNS = """
    id bigserial NOT NULL,
    nas_id integer NOT NULL,
    acct_session_id text NOT NULL,
    username text NOT NULL,
    nas_port_id text NOT NULL DEFAULT '',
    started_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    session_time bigint NOT NULL DEFAULT 0,
    input_bytes bigint NOT NULL DEFAULT 0,
    output_bytes bigint NOT NULL DEFAULT 0,
    framed_ip inet,
    calling_station_id text,
    called_station_id text,
    nas_port bigint,
    class text,
    interim_interval integer NOT NULL"""

_CLOSED_BY_SQL = ", ".join(f"'{value}'" for value in CLOSED_BY)

BRIDGE_TABLES: dict[str, str] = {
    "contract_version": """
CREATE TABLE IF NOT EXISTS {s}.contract_version (
    version integer NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
)""",
    "account_change": """
CREATE TABLE IF NOT EXISTS {s}.account_change (
    seq bigserial PRIMARY KEY,
    username text,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX IF NOT EXISTS account_change_txid ON {s}.account_change (txid);
CREATE INDEX IF NOT EXISTS account_change_txid_username ON {s}.account_change (txid, username);
CREATE INDEX IF NOT EXISTS account_change_changed_at ON {s}.account_change (changed_at)""",
    "session": f"""
CREATE TABLE IF NOT EXISTS {{s}}.session ({_SESSION_COLUMNS},
    PRIMARY KEY (nas_id, acct_session_id, username, nas_port_id)
);
ALTER TABLE {{s}}.session ADD COLUMN IF NOT EXISTS id bigserial NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS session_id ON {{s}}.session (id);
ALTER TABLE {{s}}.session ADD COLUMN IF NOT EXISTS account_id bigint;
CREATE INDEX IF NOT EXISTS session_account_id ON {{s}}.session (account_id);
CREATE INDEX IF NOT EXISTS session_username ON {{s}}.session (username);
CREATE INDEX IF NOT EXISTS session_last_seen_at ON {{s}}.session (last_seen_at)""",
    "session_history": f"""
CREATE TABLE IF NOT EXISTS {{s}}.session_history ({_SESSION_COLUMNS},
    stopped_at timestamptz NOT NULL,
    terminate_cause text,
    closed_by text NOT NULL CHECK (closed_by IN ({_CLOSED_BY_SQL}))
) PARTITION BY RANGE (stopped_at);
CREATE UNIQUE INDEX IF NOT EXISTS session_history_identity ON {{s}}.session_history
    (nas_id, acct_session_id, username, nas_port_id, started_at, stopped_at);
ALTER TABLE {{s}}.session_history ADD COLUMN IF NOT EXISTS id bigserial NOT NULL;
CREATE INDEX IF NOT EXISTS session_history_id ON {{s}}.session_history (id);
ALTER TABLE {{s}}.session_history ADD COLUMN IF NOT EXISTS account_id bigint;
CREATE INDEX IF NOT EXISTS session_history_account_id ON {{s}}.session_history
    (account_id, stopped_at);
CREATE INDEX IF NOT EXISTS session_history_stopped_at ON {{s}}.session_history (stopped_at);
CREATE INDEX IF NOT EXISTS session_history_username ON {{s}}.session_history (username)""",
    "usage_counter": """
CREATE TABLE IF NOT EXISTS {s}.usage_counter (
    username text NOT NULL,
    period_start timestamptz NOT NULL,
    session_time bigint NOT NULL DEFAULT 0,
    input_bytes bigint NOT NULL DEFAULT 0,
    output_bytes bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (username, period_start)
)""",
    "auth_log": """
CREATE TABLE IF NOT EXISTS {s}.auth_log (
    id bigserial NOT NULL,
    at timestamptz NOT NULL,
    username text NOT NULL,
    nas_id integer NOT NULL,
    calling_station_id text,
    method text NOT NULL,
    result text NOT NULL,
    reason text NOT NULL
);
ALTER TABLE {s}.auth_log ADD COLUMN IF NOT EXISTS id bigserial NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS auth_log_id ON {s}.auth_log (id);
ALTER TABLE {s}.auth_log ADD COLUMN IF NOT EXISTS account_id bigint;
CREATE INDEX IF NOT EXISTS auth_log_account_id_at ON {s}.auth_log (account_id, at);
CREATE INDEX IF NOT EXISTS auth_log_at ON {s}.auth_log (at);
CREATE INDEX IF NOT EXISTS auth_log_username_at ON {s}.auth_log (username, at)""",
    "first_dial": """
CREATE TABLE IF NOT EXISTS {s}.first_dial (
    username text PRIMARY KEY,
    first_dial_at timestamptz NOT NULL,
    mac text,
    nas text
)""",
    "command": """
CREATE TABLE IF NOT EXISTS {s}.command (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL,
    username text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{{}}',
    status text NOT NULL DEFAULT 'queued',
    updated_at timestamptz
)""",
    "command_result": """
CREATE TABLE IF NOT EXISTS {s}.command_result (
    id bigserial PRIMARY KEY,
    command_id bigint NOT NULL,
    nas_id integer NOT NULL,
    acct_session_id text,
    result text NOT NULL,
    detail text,
    at timestamptz NOT NULL DEFAULT now()
)""",
}

# Bench / test provider: a trigger that feeds account_change, as zm_radius will in Odoo.
_CHANGE_TRIGGER = """
CREATE OR REPLACE FUNCTION {s}.account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO {s}.account_change (username) VALUES (OLD.username);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT'
            OR OLD.username IS DISTINCT FROM NEW.username) THEN
        INSERT INTO {s}.account_change (username) VALUES (NEW.username);
    END IF;
    -- Delivered at commit, to every listening bridge; the payload is not needed.
    PERFORM pg_notify('{channel}', '');
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS account_changed ON {s}.account;
CREATE TRIGGER account_changed AFTER INSERT OR UPDATE OR DELETE ON {s}.account
    FOR EACH ROW EXECUTE FUNCTION {s}.account_changed()"""


def _table_ddl(rel: Relation, schema: str, key: str) -> str:
    cols = ",\n".join(f"    {c.name} {c.sql_type}" for c in rel.columns)
    return f"CREATE TABLE IF NOT EXISTS {schema}.{rel.name} (\n{cols},\n    {key}\n)"


def render_ddl(schema: str = SCHEMA, *, provider_tables: bool = False) -> list[str]:
    """SQL statements creating the contract schema.

    With ``provider_tables`` also the bench/test ``account`` and ``nas`` tables (same shape as
    Odoo's views) and the change-feed trigger; without, only the bridge-written tables.
    """
    stmts = [f"CREATE SCHEMA IF NOT EXISTS {schema}"]
    for ddl in BRIDGE_TABLES.values():
        stmts.extend(s.strip() for s in ddl.format(s=schema).split(";\n") if s.strip())
    if provider_tables:
        stmts.append(_table_ddl(ACCOUNT, schema, "PRIMARY KEY (account_id)"))
        stmts.append(
            f"CREATE UNIQUE INDEX IF NOT EXISTS account_username ON {schema}.account (username)"
        )
        stmts.append(_table_ddl(NAS, schema, "PRIMARY KEY (id)"))
    stmts.append(history_partition_function(schema))
    # functions are executable by every role unless told otherwise: this one only by the
    # provider that owns it and the bridge it is granted to
    stmts.append(f"REVOKE ALL ON FUNCTION {schema}.history_partition(integer, integer) FROM PUBLIC")
    stmts.append(
        f"INSERT INTO {schema}.contract_version (version) SELECT {CONTRACT_VERSION} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {schema}.contract_version WHERE version = "
        f"{CONTRACT_VERSION})"
    )
    return stmts


def bridge_grants(role: str, schema: str = SCHEMA) -> list[str]:
    """What the bridge's own database role may do, as GRANT statements (the provider owns
    every relation; the bridge owns none)."""
    if not role.replace("_", "").isalnum():
        raise ValueError(f"bad role name {role!r}")
    q, s = f'"{role}"', schema
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {q}",
        f"GRANT SELECT ON {s}.account, {s}.nas, {s}.contract_version, {s}.command TO {q}",
        f"GRANT SELECT, INSERT ON {s}.account_change TO {q}",
        f"GRANT UPDATE (status, updated_at) ON {s}.command TO {q}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {s}.session, {s}.session_history, "
        f"{s}.usage_counter, {s}.auth_log, {s}.first_dial, {s}.command_result TO {q}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {q}",
        f"GRANT EXECUTE ON FUNCTION {s}.history_partition(integer, integer) TO {q}",
    ]


def creatable_schemas_sql(role: str) -> str:
    """A query of the schemas where ``role`` (an SQL expression: a parameter placeholder or
    ``current_user``) may CREATE, comma-separated, NULL when none. The bridge's role must
    have none: it could plant a function that the provider's own queries then run with the
    database owner's rights (CVE-2018-1058)."""
    return (
        "SELECT string_agg(nspname, ', ' ORDER BY nspname) FROM pg_namespace "
        f"WHERE has_schema_privilege({role}, oid, 'CREATE')"
    )


def render_change_trigger(schema: str = SCHEMA) -> str:
    """The bench provider's trigger feeding ``account_change`` (Odoo's zm_radius has its own)."""
    return _CHANGE_TRIGGER.format(s=schema, channel=CHANGE_CHANNEL).strip()


_PARTITION_FUNCTION = """
CREATE OR REPLACE FUNCTION {s}.history_partition(year integer, month integer)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    first date;
BEGIN
    IF year < 2000 OR year > 2199 OR month < 1 OR month > 12 THEN
        RAISE EXCEPTION 'no history partition for %-%', year, month;
    END IF;
    first := make_date(year, month, 1);
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS {s}.%I PARTITION OF {s}.session_history '
        'FOR VALUES FROM (%L) TO (%L)',
        'session_history_y' || to_char(first, 'YYYY') || 'm' || to_char(first, 'MM'),
        first::text || ' 00:00+00',
        (first + interval '1 month')::date::text || ' 00:00+00');
END $$"""


def history_partition_function(schema: str = SCHEMA) -> str:
    """The provider's function that makes one month's ``session_history`` partition.

    Creating a partition takes the parent table's owner; the provider owns it, the bridge
    does not (its role has only the contract's grants), so the bridge calls this function
    (``SECURITY DEFINER``, owned by the provider, granted to the bridge), which can make
    that partition and nothing else.
    """
    return _PARTITION_FUNCTION.format(s=schema).strip()


def derived_state(
    state: str,
    expiry_at: datetime | None,
    now: datetime,
    expiring_window: timedelta = DEFAULT_EXPIRING_WINDOW,
) -> str:
    """Expired / expiring from the stored state and ``expiry_at``; never stored.

    Mirrors ``DERIVED_STATE_SQL`` so Odoo's search and the bridge agree.
    """
    if state != "active":
        return state
    if expiry_at is None:
        return "normal"
    if expiry_at <= now:
        return "expired"
    if expiry_at <= now + expiring_window:
        return "expiring"
    return "normal"


# The same rule in SQL, for the provider's views and searches ($window is an interval).
DERIVED_STATE_SQL = (
    "CASE WHEN state <> 'active' THEN state WHEN expiry_at IS NULL THEN 'normal' "
    "WHEN expiry_at <= now() THEN 'expired' "
    "WHEN expiry_at <= now() + {window} THEN 'expiring' ELSE 'normal' END"
)
