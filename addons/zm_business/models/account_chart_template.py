from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """Give a company its contract-liability account as soon as it has a chart."""
        res = super()._post_load_data(template_code, company, template_data)
        (company or self.env.company)._zm_setup_business_accounts()
        return res
