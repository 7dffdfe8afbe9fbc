from zm_rules import contract

from . import models
from .sql import ddl


def uninstall_hook(env):
    """Remove what the add-on put on Odoo's tables, the views it served, its functions,
    the contract's version and the bridge role's rights; the bridge's own tables (sessions,
    history, usage, logs) keep their data — an ISP keeps its session records."""
    s = contract.SCHEMA
    cr = env.cr
    cr.execute("DROP TRIGGER IF EXISTS zm_radius_account_changed ON zm_subscriber")
    cr.execute("DROP TRIGGER IF EXISTS zm_radius_account_added ON zm_subscriber")
    for table in ("zm_package", "zm_rate_template", "zm_rate_template_profile", "zm_area",
                  "res_company"):  # fmt: skip
        ddl(cr, f"DROP TRIGGER IF EXISTS zm_radius_everything_changed ON {table}")
    for event in ("insert", "update", "delete"):
        ddl(cr, f"DROP TRIGGER IF EXISTS zm_radius_ledger_{event} ON account_move_line")
    ddl(cr, f"DROP VIEW IF EXISTS {s}.account")
    ddl(cr, f"DROP VIEW IF EXISTS {s}.nas")
    ddl(cr, f"DROP FUNCTION IF EXISTS {s}.odoo_account_changed() CASCADE")
    ddl(cr, f"DROP FUNCTION IF EXISTS {s}.odoo_everything_changed() CASCADE")
    ddl(cr, f"DROP FUNCTION IF EXISTS {s}.odoo_ledger_changed() CASCADE")
    ddl(cr, f"DROP FUNCTION IF EXISTS {s}.odoo_account_id() CASCADE")
    # no provider any more: a bridge pointed here must fail its contract check, and its
    # role keeps no right on what is left
    ddl(cr, f"DROP FUNCTION IF EXISTS {s}.history_partition(integer, integer)")
    ddl(cr, f"DELETE FROM {s}.contract_version")
    role = env["zm.radius.schema"]._zm_bridge_role()
    cr.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cr.fetchone():
        for statement in (
            f'REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM "{role}"',
            f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM "{role}"',
            f'REVOKE ALL ON SCHEMA {s} FROM "{role}"',
        ):
            ddl(cr, statement)
