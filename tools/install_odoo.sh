#!/usr/bin/env bash
# Installs Odoo 18.0 Community from Odoo's official repository into the fixed place
# (/opt/odoo18: source in src/, Python 3.11 virtualenv in venv/), with Odoo's
# requirements under the Python 3.12 pin set (DESIGN §1) and websocket-client for the
# browser tests. Called by tools/setup.sh when no Odoo 18 is found; safe to run again.
#
# Exit status: 0 installed (or already there), 3 Odoo's repository cannot be reached,
# 1 any other failure.
set -euo pipefail
source "$(dirname "$0")/common.sh"

ODOO_REPO="${ZM_ODOO_REPO:-https://github.com/odoo/odoo.git}"
ODOO_BRANCH=18.0
# Odoo's own Python 3.12 line, as a set: its Python 3.11 pins break the payment SDKs,
# and changing only some of them breaks Odoo at start-up (../shared/ODOO18-NOTES.md)
PINS=("cryptography==42.0.8" "pyopenssl==24.1.0" "urllib3==2.0.7" "idna==3.6")
HEADERS=(git python3-dev python3-venv libpq-dev libxml2-dev libxslt1-dev libldap2-dev
    libsasl2-dev libjpeg-dev zlib1g-dev)

unreachable() {
    echo "setup: Odoo's repository $ODOO_REPO cannot be reached from here; install Odoo 18 by" \
        "other means and set ZM_ODOO_SRC (its source) and ZM_ODOO_PYTHON (its Python) - README §1" >&2
    exit 3
}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    need=()
    for pkg in "${HEADERS[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
    if [ ${#need[@]} -gt 0 ]; then
        zm_log "apt-get install ${need[*]} (build headers for Odoo's requirements)"
        apt-get update -qq >/dev/null || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
fi

parent="$(dirname "$ZM_ODOO_SRC")"
if ! mkdir -p "$parent" 2>/dev/null || [ ! -w "$parent" ]; then
    echo "setup: cannot write to $parent; run once: sudo mkdir -p $parent && sudo chown \"\$USER\" $parent" >&2
    exit 1
fi

if [ ! -f "$ZM_ODOO_SRC/odoo-bin" ]; then
    command -v git >/dev/null || { echo "setup: git is needed to fetch Odoo" >&2; exit 1; }
    timeout 30 git ls-remote --heads "$ODOO_REPO" "$ODOO_BRANCH" >/dev/null 2>&1 || unreachable
    zm_log "cloning Odoo $ODOO_BRANCH from $ODOO_REPO into $ZM_ODOO_SRC (about 1 GB)"
    rm -rf "$ZM_ODOO_SRC.partial"
    git clone -q --depth 1 --branch "$ODOO_BRANCH" "$ODOO_REPO" "$ZM_ODOO_SRC.partial" || unreachable
    mv "$ZM_ODOO_SRC.partial" "$ZM_ODOO_SRC"
fi

venv="$(dirname "$(dirname "$ZM_ODOO_PYTHON")")"
if [ ! -x "$ZM_ODOO_PYTHON" ] || [ -f "$venv/.zm-incomplete" ]; then
    # never delete what this script did not make: only an absent directory, or a
    # virtualenv it left unfinished (marked), is (re)built
    if [ -e "$venv" ] && [ ! -f "$venv/.zm-incomplete" ]; then
        echo "setup: $venv exists but $ZM_ODOO_PYTHON is not a Python; fix ZM_ODOO_PYTHON," \
            "or remove $venv yourself" >&2
        exit 1
    fi
    base_python="$(command -v python3.11 || command -v python3)"
    zm_log "creating Odoo's virtualenv $venv with $base_python"
    rm -rf "$venv"
    mkdir -p "$venv"
    # an interrupted install is redone by the next run, never taken for a working one
    touch "$venv/.zm-incomplete"
    "$base_python" -m venv "$venv"
    req="$(mktemp)"
    constraints="$(mktemp)"
    trap 'rm -f "$req" "$constraints"' EXIT
    sed -E -e '/^(cryptography|pyopenssl|urllib3|idna)==/d' "$ZM_ODOO_SRC/requirements.txt" >"$req"
    printf '%s\n' "${PINS[@]}" >>"$req"
    # cbor2, pinned by Odoo, does not build with setuptools 70 or newer
    echo 'setuptools<70' >"$constraints"
    zm_log "installing Odoo's requirements with the pin set ${PINS[*]} (a few minutes)"
    PIP_CONSTRAINT="$constraints" "$venv/bin/pip" install -q -r "$req" websocket-client \
        2> >(grep -v -e "^WARNING: Location" -e "DEPRECATION" >&2)
    rm -f "$venv/.zm-incomplete"
fi
zm_log "Odoo 18 is at $ZM_ODOO_SRC with $ZM_ODOO_PYTHON"
