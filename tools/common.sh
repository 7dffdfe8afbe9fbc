# Shared settings for the project's scripts (sourced, not run).
# Where Odoo 18 is looked for: ZM_ODOO_SRC / ZM_ODOO_PYTHON when set, else the
# fixed place /opt/odoo18 (source in /opt/odoo18/src, Python in /opt/odoo18/venv).
ZM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZM_VENV="${ZM_VENV:-$ZM_ROOT/.venv}"
# whether the user named an Odoo of their own (setup never installs over one)
ZM_ODOO_SRC_GIVEN="${ZM_ODOO_SRC:-}"
ZM_ODOO_PYTHON_GIVEN="${ZM_ODOO_PYTHON:-}"
ZM_ODOO_HOME="${ZM_ODOO_HOME:-/opt/odoo18}"
ZM_ODOO_SRC="${ZM_ODOO_SRC:-$ZM_ODOO_HOME/src}"
ZM_ODOO_PYTHON="${ZM_ODOO_PYTHON:-$ZM_ODOO_HOME/venv/bin/python}"
ZM_DB_USER="${ZM_DB_USER:-zm}"
ZM_PG_SUPERUSER="${ZM_PG_SUPERUSER:-postgres}"
ZM_PGHOST="${PGHOST:-127.0.0.1}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

zm_log() { printf '==> %s\n' "$*"; }

zm_have_odoo() {
    [ -f "$ZM_ODOO_SRC/odoo-bin" ] && [ -x "$ZM_ODOO_PYTHON" ] \
        && "$ZM_ODOO_PYTHON" -c "import odoo" >/dev/null 2>&1 \
        || PYTHONPATH="$ZM_ODOO_SRC" "$ZM_ODOO_PYTHON" -c "import odoo.release as r; assert r.version_info[0] == 18" >/dev/null 2>&1
}

zm_odoo_version_ok() {
    PYTHONPATH="$ZM_ODOO_SRC" "$ZM_ODOO_PYTHON" -c \
        "import odoo.release as r, sys; sys.exit(0 if r.version_info[0] == 18 else 1)" >/dev/null 2>&1
}

zm_pg_up() {
    pg_isready -h "$ZM_PGHOST" -q 2>/dev/null && return 0
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        for v in $(ls /etc/postgresql 2>/dev/null); do
            pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1 || true
        done
    fi
    for _ in $(seq 1 30); do pg_isready -h "$ZM_PGHOST" -q && return 0; sleep 1; done
    echo "PostgreSQL is not reachable on $ZM_PGHOST" >&2
    return 1
}

zm_ensure_role() {
    # Odoo refuses to run as the 'postgres' role: use our own role that may create databases.
    psql -h "$ZM_PGHOST" -U "$ZM_PG_SUPERUSER" -d postgres -qAtc \
        "SELECT 1 FROM pg_roles WHERE rolname = '$ZM_DB_USER'" | grep -q 1 \
        || psql -h "$ZM_PGHOST" -U "$ZM_PG_SUPERUSER" -d postgres -qc \
            "CREATE ROLE \"$ZM_DB_USER\" LOGIN CREATEDB CREATEROLE"
}
