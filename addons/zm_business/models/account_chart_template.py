from odoo import models
from odoo.addons.account.models.chart_template import template

#: Code of the contract-liability account (PRC chart: 2205 合同负债), when free.
CONTRACT_LIABILITY_CODE = "220500"


class AccountChartTemplate(models.AbstractModel):
    """What the desk adds to every chart, as chart data like Odoo's own (DESIGN §4):
    the contract-liability account prepaid income waits in, and the journal the
    monthly recognition posts in. A branch company uses its parent's."""

    _inherit = "account.chart.template"

    @template(model="account.account")
    def _get_zm_business_accounts(self, template_code):
        existing = self.ref("zm_contract_liability", raise_if_not_found=False)
        code = existing.code if existing else CONTRACT_LIABILITY_CODE
        Account = self.env["account.account"].with_company(self.env.company)
        if not existing and Account.search_count(
            [*Account._check_company_domain(self.env.company), ("code", "=", code)], limit=1
        ):
            code = Account._search_new_account_code(CONTRACT_LIABILITY_CODE)
        return {
            "zm_contract_liability": {
                "name": self.env._("Contract Liabilities"),
                "code": code,
                "account_type": "liability_current",
                "reconcile": False,
            }
        }

    @template(model="account.journal")
    def _get_zm_business_journals(self, template_code):
        return {
            "zm_journal_recognition": {
                "name": self.env._("Broadband Revenue Recognition"),
                "type": "general",
                "code": "ZMREV",
                "show_on_dashboard": False,
            }
        }

    @template(model="res.company")
    def _get_zm_business_res_company(self, template_code):
        return {
            self.env.company.id: {
                "zm_contract_liability_account_id": "zm_contract_liability",
                "zm_recognition_journal_id": "zm_journal_recognition",
            }
        }

    def _post_load_data(self, template_code, company, template_data):
        res = super()._post_load_data(template_code, company, template_data)
        company = company or self.env.company
        if not company.zm_revenue_account_id:
            # earned package income goes where the chart books product income
            income = template_data.get("property_account_income_categ_id")
            company.zm_revenue_account_id = income and self.ref(income, raise_if_not_found=False)
        return res

    def _zm_load_business_data(self, company):
        """Load the desk's chart data into a company whose chart was loaded before this
        add-on was installed (the chart's own loader does it for later charts); its
        branches use it through their parent."""
        if company.parent_id or not company.chart_template:
            return
        chart = self.with_company(company).with_context(foreign_record_to_create=True)
        code = company.chart_template
        chart._load_data(
            {
                "account.account": chart._get_zm_business_accounts(code),
                "account.journal": chart._get_zm_business_journals(code),
                "res.company": chart._get_zm_business_res_company(code),
            }
        )
        if not company.zm_revenue_account_id:
            income = chart._get_chart_template_data(code)["template_data"].get(
                "property_account_income_categ_id"
            )
            company.zm_revenue_account_id = income and chart.ref(income, raise_if_not_found=False)
