#!/usr/bin/env bash
# Starts Odoo 18 with this repository's add-ons on a local PostgreSQL database.
#   tools/run.sh [--db NAME] [--no-demo] [--port PORT] [--update] [--country CC]
#                [--radius-host HOST] [--auth-port N] [--acct-port N] [--no-bridge]
# A new database is made the way Odoo's database manager makes one (company in the
# country CC, CN by default: China, CNY, the Chinese chart l10n_cn), then every add-on
# is installed - with demo data unless --no-demo - before anything is served. A
# database where our add-ons are missing or half-installed gets them installed; one
# this script created and could not finish is dropped again. --update upgrades our
# add-ons after a pull. Then it serves http://127.0.0.1:PORT (admin / admin) and, beside
# it, the RADIUS bridge on HOST:1812 / 1813 (127.0.0.1 unless told) reading Odoo's
# zm_radius views as its own database role zm_bridge (made here with only the contract's
# grants; password in var/bridge-password, configuration in var/bridge-DB.toml).
# Ctrl-C (or SIGTERM) stops both; when either stops, the other is stopped too.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ZM_ROOT"
db=zm_demo; demo=1; port=8069; update=0; country=CN
radius_host="${ZM_RADIUS_HOST:-127.0.0.1}"; auth_port="${ZM_RADIUS_AUTH_PORT:-1812}"
acct_port="${ZM_RADIUS_ACCT_PORT:-1813}"; bridge=1
while [ $# -gt 0 ]; do
    case "$1" in
        --db) db="$2"; shift 2 ;;
        --no-demo) demo=0; shift ;;
        --port) port="$2"; shift 2 ;;
        --update) update=1; shift ;;
        --country) country="$2"; shift 2 ;;
        --radius-host) radius_host="$2"; shift 2 ;;
        --auth-port) auth_port="$2"; shift 2 ;;
        --acct-port) acct_port="$2"; shift 2 ;;
        --no-bridge) bridge=0; shift ;;
        *) echo "usage: $0 [--db NAME] [--no-demo] [--port PORT] [--update] [--country CC]" \
                "[--radius-host HOST] [--auth-port N] [--acct-port N] [--no-bridge]" >&2; exit 2 ;;
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
if [ "$bridge" = 0 ] || [ "$(sql "SELECT state FROM ir_module_module WHERE name = 'zm_radius'")" != installed ]; then
    zm_log "Odoo on http://127.0.0.1:$port (database $db, login admin / admin)"
    exec "${odoo[@]}" --http-port "$port"
fi

# the RADIUS bridge, as its own database role, on Odoo's views
for p in "$auth_port" "$acct_port"; do
    if ss -Hlun "sport = :$p" 2>/dev/null | grep -q .; then
        echo "UDP port $p is taken: stop what holds it (a FreeRADIUS service?), choose other" \
            "ports with --auth-port / --acct-port, or serve Odoo alone with --no-bridge" >&2
        exit 1
    fi
done
mkdir -p var
role="$(sql "SELECT value FROM ir_config_parameter WHERE key = 'zm_radius.bridge_role'")"
role="${role:-zm_bridge}"
"$ZM_VENV/bin/python" -m radius_bridge create-role --role "$role" --password-file var/bridge-password \
    --admin-dsn "postgresql://$ZM_DB_USER@$ZM_PGHOST:5432/$db" >/dev/null
config="var/bridge-$db.toml"
(
    umask 077
    password=$(head -1 var/bridge-password)
    cat > "$config" <<EOF
# written by tools/run.sh for the database $db (made again at every start)
[server]
host = "$radius_host"
auth_port = $auth_port
acct_port = $acct_port

[database]
dsn = "postgresql://$role:$password@$ZM_PGHOST:5432/$db"

[spool]
path = "$ZM_ROOT/var/spool-$db"

[policy]
reject_reasons = true   # the demo tells radclient why; set false for a real NAS
EOF
)
"$ZM_VENV/bin/python" -m radius_bridge check-config --config "$config" --connect >/dev/null

pids=()
stop_all() {
    # Ctrl-C on a terminal reaches Odoo and the bridge too, and a second signal would make
    # Odoo's shutdown a forced one: give them a moment to stop on their own, then TERM.
    trap - INT TERM EXIT
    for _ in 1 2 3 4 5 6; do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.5
    done
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT
"$ZM_VENV/bin/python" -m radius_bridge serve --config "$config" &
pids+=($!)
"${odoo[@]}" --http-port "$port" &
pids+=($!)
zm_log "Odoo on http://127.0.0.1:$port (database $db, login admin / admin);" \
    "RADIUS on $radius_host:$auth_port / $acct_port (demo NAS 127.0.0.1, secret testing123)"
set +e
wait -n "${pids[@]}"
status=$?
zm_log "Odoo or the bridge stopped (exit $status): stopping the other"
exit "$status"
