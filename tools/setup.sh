#!/usr/bin/env bash
# Sets the project up on this machine: Python venv with our dependencies and test
# tools, Debian peers used by the tests (radclient, FreeRADIUS for benchmarks,
# Chromium for browser tests), the database role, and - when an Odoo 18 install is
# found - our requirements inside Odoo's Python. Safe to run again.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ZM_ROOT"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    need=()
    command -v radclient >/dev/null || need+=(freeradius-utils)
    command -v freeradius >/dev/null || need+=(freeradius)
    dpkg -s freeradius-postgresql >/dev/null 2>&1 || need+=(freeradius-postgresql)
    command -v chromium >/dev/null || need+=(chromium)
    command -v wkhtmltopdf >/dev/null || need+=(wkhtmltopdf)
    if [ ${#need[@]} -gt 0 ]; then
        zm_log "apt-get install ${need[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    # Debian starts a system FreeRADIUS on 1812/1813; the tests and benchmarks run their own.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now freeradius >/dev/null 2>&1 || true; fi
    pkill -x freeradius >/dev/null 2>&1 || true
fi

if [ ! -x "$ZM_VENV/bin/python" ]; then
    zm_log "creating $ZM_VENV"
    python3.11 -m venv "$ZM_VENV" 2>/dev/null || python3 -m venv "$ZM_VENV"
fi
zm_log "installing Python dependencies into $ZM_VENV"
"$ZM_VENV/bin/pip" install -q -r requirements-dev.txt 2> >(grep -v "^WARNING: Location" >&2)
"$ZM_VENV/bin/pip" install -q --no-deps -e . 2> >(grep -v -e "^WARNING: Location" -e BuildBackendWarning >&2) >/dev/null

zm_pg_up
zm_ensure_role

if zm_odoo_version_ok; then
    zm_log "Odoo 18 found in $ZM_ODOO_SRC; installing our requirements into $ZM_ODOO_PYTHON"
    "$ZM_ODOO_PYTHON" -m pip install -q -r requirements.txt 2> >(grep -v "^WARNING: Location" >&2)
    # The add-ons declare the project's distribution as an external dependency; the
    # scripts still put this checkout first on PYTHONPATH, so the code that runs is ours.
    "$ZM_ODOO_PYTHON" -m pip install -q --no-deps . 2> >(grep -v -e "^WARNING: Location" -e BuildBackendWarning >&2) >/dev/null
else
    zm_log "no Odoo 18 at $ZM_ODOO_SRC / $ZM_ODOO_PYTHON: the add-ons' tests will be skipped (see README)"
fi
zm_log "setup done"
