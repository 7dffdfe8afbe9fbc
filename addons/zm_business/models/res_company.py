from odoo import fields, models

#: Code prefix of the contract-liability account (PRC chart: 2205 预收账款 / 合同负债).
CONTRACT_LIABILITY_CODE = "220500"


class ResCompany(models.Model):
    _inherit = "res.company"

    zm_contract_liability_account_id = fields.Many2one(
        "account.account",
        string="Contract Liabilities Account",
        check_company=True,
        help="Package income is booked here when sold and moved to revenue as it is earned.",
    )
    zm_revenue_account_id = fields.Many2one(
        "account.account",
        string="Broadband Revenue Account",
        check_company=True,
        help="Earned package income is moved here by the monthly recognition.",
    )
    zm_auto_renew_hours = fields.Integer(
        string="Auto-renew Lead Time (hours)",
        default=24,
        help="Accounts asking for auto-renewal are renewed from their balance this many "
        "hours before they expire.",
    )

    def _zm_setup_business_accounts(self):
        """Create the missing contract-liability account and pick the revenue account."""
        Account = self.env["account.account"].sudo()
        for company in self.sudo():
            if not company.zm_contract_liability_account_id:
                code = Account.with_company(company)._search_new_account_code(
                    CONTRACT_LIABILITY_CODE, cache=set()
                )
                company.zm_contract_liability_account_id = Account.with_company(company).create(
                    {
                        "name": "Contract Liabilities",
                        "code": code,
                        "account_type": "liability_current",
                        "company_ids": [fields.Command.set(company.ids)],
                    }
                )
            if not company.zm_revenue_account_id:
                chart = self.env["account.chart.template"].with_company(company)
                revenue = chart.ref("income", raise_if_not_found=False)
                if not revenue:
                    revenue = Account.with_company(company).search(
                        [
                            *Account._check_company_domain(company),
                            ("account_type", "=", "income"),
                        ],
                        limit=1,
                    )
                company.zm_revenue_account_id = revenue

    def _zm_check_business_accounts(self):
        self.ensure_one()
        if not (self.zm_contract_liability_account_id and self.zm_revenue_account_id):
            self._zm_setup_business_accounts()
        return self.zm_contract_liability_account_id, self.zm_revenue_account_id
