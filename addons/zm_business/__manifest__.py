{
    "name": "Broadband Business Desk",
    "summary": "Open, top up, renew, pause, change package and cancel broadband accounts "
    "on Odoo Accounting: orders, charges, audit, prepaid income recognition",
    "version": "18.0.1.1.0",
    "category": "Services/Broadband",
    "license": "LGPL-3",
    "author": "ZM Broadband Contributors",
    "website": "https://github.com/zm-broadband/zm-broadband",
    "depends": ["zm_broadband", "account"],
    # the distribution that ships the shared ``zm_rules`` package (pyproject.toml)
    "external_dependencies": {"python": ["zm-broadband"]},
    "data": [
        "security/ir.model.access.csv",
        "security/zm_business_rules.xml",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "wizards/zm_business_wizard_views.xml",
        "wizards/zm_charge_reject_wizard_views.xml",
        "views/zm_order_views.xml",
        "views/account_move_views.xml",
        "views/zm_subscriber_views.xml",
        "views/res_config_settings_views.xml",
        "views/zm_business_menus.xml",
    ],
    "demo": [
        "demo/zm_business_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
    "assets": {
        "web.assets_tests": ["zm_business/static/tests/tours/*.js"],
    },
    "installable": True,
}
