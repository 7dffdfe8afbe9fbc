from odoo import fields, models
from odoo.exceptions import UserError


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
    zm_recognition_journal_id = fields.Many2one(
        "account.journal",
        string="Revenue Recognition Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Journal of the monthly entries moving earned prepaid income to revenue.",
    )
    zm_auto_renew_hours = fields.Integer(
        string="Auto-renew Lead Time (hours)",
        default=24,
        help="Accounts asking for auto-renewal are renewed from their balance this many "
        "hours before they expire.",
    )

    def _zm_business_setup(self):
        """``(contract liability, revenue, recognition journal)`` of this company; a branch
        uses its root company's, as it does the rest of the chart."""
        self.ensure_one()
        root = self.sudo().root_id
        if root.chart_template and not root.zm_contract_liability_account_id:
            # a chart loaded before this add-on, not yet given the desk's data
            self.env["account.chart.template"].sudo()._zm_load_business_data(root)
        for company in (self, root):
            company = company.sudo()
            if company.zm_contract_liability_account_id and company.zm_revenue_account_id:
                return (
                    company.zm_contract_liability_account_id,
                    company.zm_revenue_account_id,
                    company.zm_recognition_journal_id or root.zm_recognition_journal_id,
                )
        raise UserError(
            self.env._(
                "The company %s has no broadband contract-liability or revenue account; "
                "load a chart of accounts first.",
                self.name,
            )
        )

    def _zm_check_business_accounts(self):
        """``(contract liability, revenue)`` accounts of this company."""
        liability, revenue, _journal = self._zm_business_setup()
        return liability, revenue
