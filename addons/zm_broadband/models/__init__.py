# ruff: noqa: I001 - the status mixin must be registered before the subscriber
from . import zm_status_mixin
from . import (
    account_chart_template,
    base_partner_merge,
    res_company,
    res_config_settings,
    res_partner,
    res_users,
    zm_area,
    zm_package,
    zm_promotion,
    zm_rate_template,
    zm_rate_template_profile,
    zm_subscriber,
)
