from odoo import Command

from ..models.account_chart_template import ZM_JOURNALS
from .common import ZmBroadbandCase


class TestJournals(ZmBroadbandCase):
    def _check_company_journals(self, company):
        accounts = self.env["account.account"]
        for code, (journal_type, short_code) in ZM_JOURNALS.items():
            journal = self.env.ref(f"account.{company.id}_zm_journal_{code}")
            self.assertEqual(company._zm_journal(code), journal)
            self.assertEqual(
                (journal.type, journal.code, journal.company_id),
                (journal_type, short_code, company),
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
        """A company with areas that gets a chart later gets the journals with it."""
        company = self.env["res.company"].create({"name": "Later ISP"})
        self.env["zm.area"].create({"name": "Later area", "company_id": company.id})
        self.assertFalse(company._zm_journal("cash", raise_if_not_found=False))
        self.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        self._check_company_journals(company)

    def test_no_broadband_no_extra_journals(self):
        """A company of the same database that sells no broadband keeps Odoo's chart as it
        is; its first area, or the desk's first need, brings the journals."""
        company = self.env["res.company"].create({"name": "Trading company"})
        self.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        journals = self.env["account.journal"].search([("company_id", "=", company.id)])
        self.assertEqual(len(journals.filtered(lambda j: j.type == "bank")), 1)
        self.assertEqual(len(journals.filtered(lambda j: j.type == "cash")), 1)
        self.env["zm.area"].create({"name": "First area", "company_id": company.id})
        self._check_company_journals(company)

    def test_no_journal_shares_a_name(self):
        """The broadband cash journal is not a second journal called "Cash"."""
        names = self.env["account.journal"].search([("company_id", "=", self.company.id)])
        names = names.with_context(lang="en_US").mapped("name")
        self.assertEqual(len(names), len(set(names)), names)

    def test_branch_uses_its_parents_journals(self):
        """A branch company gets no journals or accounts of its own, like Odoo's chart data;
        it uses its parent's broadband journals."""
        root = self.env["res.company"].create({"name": "Root ISP"})
        self.env["zm.area"].create({"name": "Root area", "company_id": root.id})
        self.env["account.chart.template"].try_loading("generic_coa", root, install_demo=False)
        accounts_before = self.env["account.account"].search_count([])
        branch = self.env["res.company"].create({"name": "City branch", "parent_id": root.id})
        self.env["account.chart.template"].try_loading("generic_coa", branch, install_demo=False)
        self.assertEqual(self.env["account.account"].search_count([]), accounts_before)
        self.assertFalse(self.env["account.journal"].search([("company_id", "=", branch.id)]))
        for code in ZM_JOURNALS:
            self.assertEqual(branch._zm_journal(code), root._zm_journal(code))

    def test_chart_change_before_any_entry(self):
        """Changing the chart of a company without entries replaces our journals with the
        rest of the chart (Odoo deletes and reloads its chart data)."""
        company = self.env["res.company"].create({"name": "Switching ISP"})
        self.env["zm.area"].create({"name": "Switching area", "company_id": company.id})
        chart = self.env["account.chart.template"]
        chart.try_loading("generic_coa", company, install_demo=False)
        self.env.user.company_ids = [Command.link(company.id)]
        chart.with_company(company).try_loading("generic_coa", company, install_demo=False)
        self._check_company_journals(company)

    def test_unknown_code(self):
        """Asking for a journal code that does not exist is a programming error."""
        with self.assertRaises(ValueError):
            self.env.company._zm_journal("bitcoin")
