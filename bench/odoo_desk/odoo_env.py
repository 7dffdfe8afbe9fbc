"""Open an Odoo 18 registry on a benchmark database from a plain Python process."""

import contextlib
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ODOO_SRC = Path(os.environ.get("ZM_ODOO_SRC") or os.environ.get("ODOO_SRC") or "/opt/odoo18/src")


def load_registry(dbname):
    """Parse the repo's odoo.conf, then return the registry of ``dbname``."""
    if str(ODOO_SRC) not in sys.path:
        sys.path.insert(0, str(ODOO_SRC))
    import odoo
    from odoo.modules.registry import Registry

    addons = f"{ODOO_SRC / 'addons'},{REPO / 'addons'}"
    odoo.tools.config.parse_config(
        ["-c", str(REPO / "odoo.conf"), f"--addons-path={addons}", "-d", dbname, "--log-level=warn"]
    )
    return Registry(dbname)


@contextlib.contextmanager
def environment(registry):
    """A superuser environment on a fresh cursor; committed by the caller."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})
