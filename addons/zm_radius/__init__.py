from zm_rules import contract

from . import models
from .sql import ddl


def uninstall_hook(env):
    """Remove what the add-on put on Odoo's tables and the views it served; the bridge's
    own tables (sessions, history, usage, logs) keep their data."""
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
