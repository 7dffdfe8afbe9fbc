from ..models.res_company import ZM_JOURNALS
from .common import ZmBroadbandCase


class TestJournals(ZmBroadbandCase):
    def _check_company_journals(self, company):
        accounts = self.env["account.account"]
        for code, (name, journal_type, short_code) in ZM_JOURNALS.items():
            journal = self.env.ref(f"zm_broadband.{company.id}_journal_{code}").with_context(
                lang="en_US"
            )
            self.assertEqual(company._zm_journal(code), journal)
            self.assertEqual(
                (journal.name, journal.type, journal.code, journal.company_id),
                (name, journal_type, short_code, company),
            )
            self.assertTrue(journal.default_account_id)
            methods = journal.inbound_payment_method_line_ids
            self.assertTrue(methods)
            self.assertEqual(methods.payment_account_id, journal.default_account_id)
            accounts |= journal.default_account_id
        self.assertEqual(len(accounts), len(ZM_JOURNALS), "each journal has its own account")

    def test_journals_of_chart_company(self):
        """The main company, once it has a chart, has the four journals under stable xmlids."""
        self._check_company_journals(self.env.company)

    def test_journals_for_chart_loaded_later(self):
        """A company that gets a chart after installation gets the journals too."""
        company = self.env["res.company"].create({"name": "Later ISP"})
        self.assertFalse(company._zm_journal("cash", raise_if_not_found=False))
        self.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        self._check_company_journals(company)

    def test_creation_is_idempotent(self):
        """Running the creation again adds no journal."""
        company = self.env.company
        before = self.env["account.journal"].search_count([("company_id", "=", company.id)])
        company._zm_create_journals()
        after = self.env["account.journal"].search_count([("company_id", "=", company.id)])
        self.assertEqual(before, after)

    def test_unknown_code(self):
        """Asking for a journal code that does not exist is a programming error."""
        with self.assertRaises(ValueError):
            self.env.company._zm_journal("bitcoin")
