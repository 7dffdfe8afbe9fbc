from . import (
    test_access,
    test_area,
    test_billing_partner,
    test_expiry_state,
    test_forms,
    test_journals,
    test_nt_hash,
    test_package,
    test_subscriber,
    test_translation,
    test_ui,
)
