# ruff: noqa: I001 - the mixin must be registered before the models that inherit it
from . import zm_charge_mixin
from . import (
    account_chart_template,
    account_move,
    account_move_line,
    account_partial_reconcile,
    account_payment,
    res_company,
    res_config_settings,
    zm_order,
    zm_subscriber,
    zm_subscriber_audit,
    zm_subscriber_autorenew,
    zm_subscriber_desk,
    zm_subscriber_ledger,
    zm_subscriber_promotion,
    zm_revenue_recognition,
)
