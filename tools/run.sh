#!/usr/bin/env bash
# Starts Odoo 18 with this repository's add-ons on a local PostgreSQL database.
#   tools/run.sh [--db NAME] [--no-demo] [--port PORT] [--update]
# The first start installs every add-on (with demo data unless --no-demo); later
# starts just serve http://127.0.0.1:PORT (admin / admin); --update upgrades our
# add-ons first (after pulling new code).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ZM_ROOT"
db=zm_demo; demo=1; port=8069; update=0
while [ $# -gt 0 ]; do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --no-demo) demo=0; shift ;;
        --port) port="$2"; shift 2 ;;
        --update) update=1; shift ;;
        *) echo "usage: $0 [--db NAME] [--no-demo] [--port PORT] [--update]" >&2; exit 2 ;;
    esac
done
zm_odoo_version_ok || { echo "no Odoo 18 at $ZM_ODOO_SRC / $ZM_ODOO_PYTHON (see README)" >&2; exit 2; }
zm_pg_up
zm_ensure_role
modules=$(find addons -mindepth 2 -maxdepth 2 -name __manifest__.py -printf '%h\n' | xargs -n1 basename | sort | paste -sd,)
args=(-c odoo.conf "--addons-path=$ZM_ODOO_SRC/addons,$ZM_ROOT/addons" -d "$db" --db-filter="^$db\$" --http-port "$port")
if ! psql -h "$ZM_PGHOST" -U "$ZM_DB_USER" -d "$db" -qAtc "SELECT 1 FROM ir_module_module WHERE name='base'" >/dev/null 2>&1; then
    zm_log "creating database $db with $modules"
    [ "$demo" = 1 ] || args+=(--without-demo=all)
    args+=(-i "$modules")
elif [ "$update" = 1 ]; then
    zm_log "updating $modules in $db"
    args+=(-u "$modules")
fi
zm_log "Odoo on http://127.0.0.1:$port (database $db, login admin / admin)"
export PYTHONPATH="$ZM_ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$ZM_ODOO_PYTHON" "$ZM_ODOO_SRC/odoo-bin" "${args[@]}"
