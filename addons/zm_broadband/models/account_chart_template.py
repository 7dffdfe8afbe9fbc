from odoo import models
from odoo.addons.account.models.chart_template import template

#: code -> (journal type, journal code); names in ``_get_zm_journals`` (translated there)
ZM_JOURNALS = {
    "cash": ("cash", "ZMCSH"),
    "card": ("bank", "ZMCRD"),
    "alipay": ("bank", "ZMALI"),
    "wechat": ("bank", "ZMWX"),
}


def zm_journal_xmlid(code):
    """The chart-data xmlid (without ``account.<company id>_``) of a broadband journal."""
    return f"zm_journal_{code}"


class AccountChartTemplate(models.AbstractModel):
    """The broadband journals are chart data, like Odoo's own Cash and Bank journals.

    Every chart gets them when it loads (``@template`` without a template code), a
    chart change replaces them with the rest of the chart, and a branch company uses
    its parent's, as it does Odoo's own journals (DESIGN §4, stable xmlids
    ``account.<company id>_zm_journal_<code>`` that the payment providers reuse).
    """

    _inherit = "account.chart.template"

    @template(model="account.journal")
    def _get_zm_journals(self, template_code):
        names = {
            "cash": self.env._("Counter Cash"),
            "card": self.env._("Bank Card"),
            "alipay": self.env._("Alipay"),
            "wechat": self.env._("WeChat Pay"),
        }
        return {
            zm_journal_xmlid(code): {
                "name": names[code],
                "type": journal_type,
                "code": journal_code,
                "show_on_dashboard": True,
                "sequence": 20,
            }
            for code, (journal_type, journal_code) in ZM_JOURNALS.items()
        }

    def _post_load_data(self, template_code, company, template_data):
        res = super()._post_load_data(template_code, company, template_data)
        (company or self.env.company)._zm_setup_journal_accounts()
        return res

    def _zm_load_journals(self, company):
        """Load the broadband journals into a company whose chart was loaded before this
        add-on was installed (the chart's own loader does it for later charts)."""
        chart = self.with_company(company)
        if company.parent_id or not company.chart_template:
            return
        chart._load_data({"account.journal": chart._get_zm_journals(company.chart_template)})
        company._zm_setup_journal_accounts()
