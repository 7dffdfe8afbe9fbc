"""Create an Odoo database the way Odoo's own database manager does.

Run with Odoo's Python and Odoo's source on ``sys.path`` (tools/run.sh does):

    create_db.py CONFIG ADDONS_PATH NAME COUNTRY LANG DEMO

``odoo.service.db.exp_create_database`` installs ``base``, sets the company's country
and currency (CN: China, CNY) and the administrator's login and password
(admin / admin), exactly as a new database made in Odoo's web manager. Exits 1 when
the database is not usable afterwards (Odoo only logs that failure).
"""

import sys


def main(config_file, addons_path, name, country, lang, demo):
    import odoo
    from odoo.service import db as db_service

    odoo.tools.config.parse_config(["-c", config_file, f"--addons-path={addons_path}"])
    db_service.exp_create_database(
        name, demo == "1", lang, user_password="admin", login="admin", country_code=country or None
    )
    registry = odoo.modules.registry.Registry(name)
    with registry.cursor() as cr:
        cr.execute("SELECT state FROM ir_module_module WHERE name = 'base'")
        row = cr.fetchone()
    if not row or row[0] != "installed":
        print(f"creating the database {name} failed (see the log above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
