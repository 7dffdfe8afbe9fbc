{
    "name": "Broadband",
    "summary": "Broadband ISP catalogue and subscribers: areas, rate templates, packages, "
    "promotions, accounts",
    "version": "18.0.1.2.0",
    "category": "Services/Broadband",
    "license": "LGPL-3",
    "author": "ZM Broadband Contributors",
    "depends": ["account", "mail", "product"],
    # the distribution that ships the shared ``zm_rules`` package (pyproject.toml)
    "external_dependencies": {"python": ["zm-broadband"]},
    "data": [
        "security/zm_broadband_groups.xml",
        "security/ir.model.access.csv",
        "security/zm_broadband_rules.xml",
        "views/zm_area_views.xml",
        "views/zm_rate_template_views.xml",
        "views/zm_package_views.xml",
        "views/zm_promotion_views.xml",
        "views/zm_subscriber_views.xml",
        "views/res_partner_views.xml",
        "views/res_users_views.xml",
        "views/res_config_settings_views.xml",
        "views/zm_broadband_menus.xml",
    ],
    "demo": [
        "demo/zm_broadband_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
    "application": True,
    "assets": {
        "web.assets_tests": ["zm_broadband/static/tests/tours/*.js"],
    },
    "installable": True,
}
