from . import (
    res_company,
    res_config_settings,
    sms_sms,
    zm_area,
    zm_package,
    zm_sms_message,
    zm_sms_provider,
    zm_sms_template,
    zm_subscriber,
)
