#!/usr/bin/env bash
# Checks that need no Odoo: ruff, pylint-odoo (mandatory rcfile), the OCA module
# checks, byte-compilation, and the Odoo 18 breakages no linter catches.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$ZM_ROOT"
export PATH="$ZM_VENV/bin:$PATH"
rc=0
ruff check . || rc=1
ruff format --check . || rc=1
python -m compileall -q zm_rules radius_bridge addons tests bench tools >/dev/null || rc=1
python tools/check_odoo18.py || rc=1
modules=$(find addons -mindepth 2 -maxdepth 2 -name __manifest__.py -printf '%h\n' 2>/dev/null | sort)
if [ -n "$modules" ]; then
    # shellcheck disable=SC2086
    pylint --rcfile=.pylintrc $modules || rc=1
    # shellcheck disable=SC2086
    oca-checks-odoo-module $modules || rc=1
fi
[ $rc -eq 0 ] && echo "static checks: ok"
exit $rc
