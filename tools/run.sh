#!/usr/bin/env bash
# Starts Odoo 18 with this repository's add-ons on a local PostgreSQL database.
#   tools/run.sh [--db NAME] [--no-demo] [--port PORT] [--update] [--country CC]
# A new database is made the way Odoo's database manager makes one (company in the
# country CC, CN by default: China, CNY, the Chinese chart l10n_cn), then every add-on
# is installed - with demo data unless --no-demo - before anything is served. A
# database where our add-ons are missing or half-installed gets them installed; one
# this script created and could not finish is dropped again. --update upgrades our
# add-ons after a pull. Then it serves http://127.0.0.1:PORT (admin / admin).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ZM_ROOT"
db=zm_demo; demo=1; port=8069; update=0; country=CN
while [ $# -gt 0 ]; do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --no-demo) demo=0; shift ;;
        --port) port="$2"; shift 2 ;;
        --update) update=1; shift ;;
        --country) country="$2"; shift 2 ;;
        *) echo "usage: $0 [--db NAME] [--no-demo] [--port PORT] [--update] [--country CC]" >&2; exit 2 ;;
    esac
done
zm_odoo_version_ok || { echo "no Odoo 18 at $ZM_ODOO_SRC / $ZM_ODOO_PYTHON (see README)" >&2; exit 2; }
zm_pg_up
zm_ensure_role
export PYTHONPATH="$ZM_ROOT${PYTHONPATH:+:$PYTHONPATH}"
addons_path="$ZM_ODOO_SRC/addons,$ZM_ROOT/addons"
modules=$(find addons -mindepth 2 -maxdepth 2 -name __manifest__.py -printf '%h\n' | xargs -n1 basename | sort | paste -sd,)
[ "$country" = CN ] && modules="l10n_cn,$modules"
odoo=("$ZM_ODOO_PYTHON" "$ZM_ODOO_SRC/odoo-bin" -c odoo.conf "--addons-path=$addons_path" -d "$db" --db-filter="^$db\$")
sql() { psql -h "$ZM_PGHOST" -U "$ZM_DB_USER" -d "$db" -qAtc "$1" 2>/dev/null; }

created=0
exists=$(psql -h "$ZM_PGHOST" -U "$ZM_DB_USER" -d postgres -qAtc "SELECT 1 FROM pg_database WHERE datname = '$db'")
if [ "$exists" = 1 ] && [ "$(sql "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")" = 0 ]; then
    # an empty database (a creation that was interrupted): nothing to lose, start over
    zm_log "the database $db is empty: making it again"
    dropdb -h "$ZM_PGHOST" -U "$ZM_DB_USER" "$db"
    exists=""
fi
if [ "$exists" != 1 ]; then
    zm_log "creating database $db (company in $country, demo data: $([ $demo = 1 ] && echo yes || echo no))"
    created=1
    PYTHONPATH="$ZM_ODOO_SRC:$PYTHONPATH" "$ZM_ODOO_PYTHON" tools/create_db.py odoo.conf "$addons_path" "$db" "$country" en_US "$demo" \
        || { dropdb -h "$ZM_PGHOST" -U "$ZM_DB_USER" --if-exists "$db"; exit 1; }
elif [ "$(sql "SELECT state FROM ir_module_module WHERE name = 'base'")" != installed ]; then
    echo "the database $db exists but is not an Odoo database (or a broken one): drop it" \
        "(dropdb -h $ZM_PGHOST -U $ZM_DB_USER $db) or choose another with --db" >&2
    exit 1
fi

# our add-ons: install what is missing or half-installed, upgrade when asked
installed=$(sql "SELECT count(*) FROM ir_module_module WHERE state = 'installed' AND name = ANY(string_to_array('$modules', ','))")
wanted=$(echo "$modules" | tr ',' '\n' | wc -l)
# a database installed from older code than this checkout: upgrade before serving
stale=""
for manifest in addons/*/__manifest__.py; do
    name=$(basename "$(dirname "$manifest")")
    version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$manifest")
    have=$(sql "SELECT latest_version FROM ir_module_module WHERE name = '$name' AND state = 'installed'")
    if [ -n "$have" ] && [ "$have" != "$version" ]; then stale="$stale $name($have -> $version)"; fi
done
step=()
if [ "$installed" != "$wanted" ]; then
    zm_log "installing $modules in $db"
    step=(-i "$modules")
elif [ "$update" = 1 ] || [ -n "$stale" ]; then
    zm_log "updating $modules in $db${stale:+ (installed from older code:$stale)}"
    step=(-u "$modules")
fi
if [ ${#step[@]} -gt 0 ]; then
    [ "$demo" = 1 ] || step+=(--without-demo=all)
    if ! "${odoo[@]}" "${step[@]}" --stop-after-init --no-http; then
        failed=1
    else
        installed=$(sql "SELECT count(*) FROM ir_module_module WHERE state = 'installed' AND name = ANY(string_to_array('$modules', ','))")
        [ "$installed" = "$wanted" ] && failed=0 || failed=1
    fi
    if [ "$failed" = 1 ]; then
        if [ "$created" = 1 ]; then
            dropdb -h "$ZM_PGHOST" -U "$ZM_DB_USER" --if-exists "$db"
            echo "installing the add-ons failed (see above); the new database $db was dropped again" >&2
        else
            echo "installing the add-ons in $db failed (see above); nothing is served" >&2
        fi
        exit 1
    fi
fi
zm_log "Odoo on http://127.0.0.1:$port (database $db, login admin / admin)"
exec "${odoo[@]}" --http-port "$port"
