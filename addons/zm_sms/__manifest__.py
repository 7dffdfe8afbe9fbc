{
    "name": "Broadband SMS",
    "summary": "Tencent Cloud and Aliyun SMS for Odoo's sms framework: account opened, "
    "expiry and renewal reminders, quiet hours, delivery receipts and the SMS log",
    "version": "18.0.1.0.0",
    "category": "Services/Broadband",
    "license": "LGPL-3",
    "author": "ZM Broadband Contributors",
    "website": "https://github.com/zm-broadband/zm-broadband",
    "depends": ["sms", "zm_business"],
    "external_dependencies": {"python": ["phonenumbers", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/zm_sms_rules.xml",
        "data/ir_cron_data.xml",
        "views/zm_sms_provider_views.xml",
        "views/zm_sms_message_views.xml",
        "views/zm_broadband_views.xml",
        "views/res_config_settings_views.xml",
        "views/zm_sms_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["zm_sms/static/tests/tours/*.js"],
    },
    "installable": True,
}
