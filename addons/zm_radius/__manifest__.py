{
    "name": "Broadband RADIUS",
    "summary": "The Odoo side of the RADIUS contract: NAS, IP pools, bindings, first dial, "
    "online users, session records and the login log, served to radius_bridge",
    "version": "18.0.1.1.0",
    "category": "Services/Broadband",
    "license": "LGPL-3",
    "author": "ZM Broadband Contributors",
    "website": "https://github.com/zm-broadband/zm-broadband",
    "depends": ["zm_business"],
    # the distribution that ships the shared ``zm_rules`` package (pyproject.toml)
    "external_dependencies": {"python": ["zm-broadband"]},
    "data": [
        "security/ir.model.access.csv",
        "security/zm_radius_rules.xml",
        "data/ir_cron_data.xml",
        "views/zm_nas_views.xml",
        "views/zm_ip_pool_views.xml",
        "views/zm_session_views.xml",
        "views/zm_auth_log_views.xml",
        "views/zm_subscriber_views.xml",
        "views/zm_radius_menus.xml",
    ],
    "demo": [
        "demo/zm_radius_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["zm_radius/static/tests/tours/*.js"],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
}
