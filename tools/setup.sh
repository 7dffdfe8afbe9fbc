#!/usr/bin/env bash
# Sets the project up on this machine: Odoo 18 (from Odoo's official repository when
# none is found), the Python venv with our dependencies and test tools, the Debian
# peers used by the tests (radclient, FreeRADIUS for benchmarks, Chromium for browser
# tests), the database role, and our requirements inside Odoo's Python - then proves
# that Odoo can install every add-on. Safe to run again.
#   tools/setup.sh [--if-needed]   (--if-needed: return at once when nothing changed)
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ZM_ROOT"

stamp="$ZM_VENV/.zm-setup"
fingerprint() {
    {
        cat requirements.txt requirements-dev.txt pyproject.toml tools/setup.sh
        echo "$ZM_ODOO_SRC $ZM_ODOO_PYTHON"
        [ -x "$ZM_ODOO_PYTHON" ] && echo odoo-python
        ls addons
    } | sha256sum | cut -d' ' -f1
}

if [ "${1:-}" = "--if-needed" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(fingerprint)" ]; then
    zm_pg_up
    exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    need=()
    command -v radclient >/dev/null || need+=(freeradius-utils)
    command -v freeradius >/dev/null || need+=(freeradius)
    dpkg -s freeradius-postgresql >/dev/null 2>&1 || need+=(freeradius-postgresql)
    command -v chromium >/dev/null || need+=(chromium)
    command -v wkhtmltopdf >/dev/null || need+=(wkhtmltopdf)
    # Chinese in screenshots and PDF receipts
    dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
    if [ ${#need[@]} -gt 0 ]; then
        zm_log "apt-get install ${need[*]}"
        apt-get update -qq >/dev/null || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    # Debian's freeradius package starts its own service on 1812/1813 when installed.
    # When this set-up installed it (for the benchmark), it stops that service, which it
    # started; a FreeRADIUS the machine had before is left alone (the tests and
    # benchmarks use ports of their own), and no process is ever killed by name.
    marker=/var/lib/zm-broadband/freeradius-installed-by-setup
    if [[ " ${need[*]} " == *" freeradius "* ]]; then
        mkdir -p "$(dirname "$marker")" && touch "$marker"
    fi
    if [ -f "$marker" ]; then
        if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
            systemctl disable --now freeradius >/dev/null 2>&1 || true
        elif [ -x /etc/init.d/freeradius ] && [ -s /run/freeradius/freeradius.pid ]; then
            zm_log "stopping the freeradius service its installation started"
            /etc/init.d/freeradius stop >/dev/null 2>&1 || true
            command -v update-rc.d >/dev/null && update-rc.d freeradius disable >/dev/null 2>&1 || true
        fi
    fi
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

odoo=1
if ! zm_odoo_version_ok && [ -n "${ZM_ODOO_SRC_GIVEN:-}${ZM_ODOO_PYTHON_GIVEN:-}" ]; then
    # an Odoo installed by other means, named by the user: never install over it
    echo "setup: ZM_ODOO_SRC=$ZM_ODOO_SRC / ZM_ODOO_PYTHON=$ZM_ODOO_PYTHON is not a working" \
        "Odoo 18; fix them, or unset them to install Odoo at $ZM_ODOO_HOME" >&2
    exit 1
elif ! zm_odoo_version_ok; then
    zm_log "no Odoo 18 at $ZM_ODOO_SRC / $ZM_ODOO_PYTHON: installing it"
    rc=0
    bash tools/install_odoo.sh || rc=$?
    if [ $rc -eq 3 ]; then
        odoo=0  # the one-line reason was printed; the Odoo tests will say they are skipped
    elif [ $rc -ne 0 ] || ! zm_odoo_version_ok; then
        echo "setup: installing Odoo 18 failed (see above)" >&2
        exit 1
    fi
fi

if [ $odoo = 1 ]; then
    zm_log "Odoo 18 found in $ZM_ODOO_SRC; installing our requirements into $ZM_ODOO_PYTHON"
    "$ZM_ODOO_PYTHON" -m pip install -q -r requirements.txt 2> >(grep -v "^WARNING: Location" >&2)
    # The add-ons declare the project's distribution as an external dependency; the
    # scripts still put this checkout first on PYTHONPATH, so the code that runs is ours.
    "$ZM_ODOO_PYTHON" -m pip install -q --no-deps . 2> >(grep -v -e "^WARNING: Location" -e BuildBackendWarning >&2) >/dev/null
    # what Odoo checks before installing an add-on, checked now with Odoo's own code
    "$ZM_ODOO_PYTHON" tools/check_odoo_deps.py "$ZM_ODOO_SRC"
fi
fingerprint >"$stamp"
zm_log "setup done"
