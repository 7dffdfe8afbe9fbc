"""The end-to-end stage: ``make run``'s Odoo and bridge, driven as their users drive them.

It installs a whole demo database (minutes), so plain ``pytest tests`` leaves it out;
``tools/test.sh`` runs it as its own stage with ``ZM_E2E=1`` when Odoo 18 is found.
"""

import os

if not os.environ.get("ZM_E2E"):
    collect_ignore_glob = ["test_*.py"]
