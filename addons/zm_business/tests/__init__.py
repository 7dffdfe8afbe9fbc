from . import (
    test_audit,
    test_auto_renew,
    test_bad_input,
    test_concurrency,
    test_payment_method,
    test_promotion,
    test_recognition,
    test_separate_balances,
    test_ui,
    test_walkthrough,
    test_wizard_rpc,
)
