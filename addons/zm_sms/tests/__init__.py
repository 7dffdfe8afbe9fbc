from . import (
    test_concurrency,
    test_receipts,
    test_reminders,
    test_review_findings,
    test_rights,
    test_sending,
    test_ui,
)
