import copy

from odoo import models

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
    """The broadband journals are loaded as chart data, like Odoo's own Cash and Bank
    journals: with xmlids ``account.<company id>_zm_journal_<code>`` that the payment
    providers reuse (DESIGN §4), in every installed language, and a branch company
    uses its parent's, as it does Odoo's own journals.

    Only a company that does broadband business gets them - one with an area - when
    its chart loads, when its first area is made, or when the desk first needs one:
    a company of the same database that sells no broadband keeps the chart Odoo gave
    it, without three more bank journals on its dashboard.
    """

    _inherit = "account.chart.template"

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
                # the chart's translation loader takes the names from this add-on
                "__translation_module__": {"name": "zm_broadband"},
            }
            for code, (journal_type, journal_code) in ZM_JOURNALS.items()
        }

    def _post_load_data(self, template_code, company, template_data):
        res = super()._post_load_data(template_code, company, template_data)
        company = company or self.env.company
        if company._zm_sells_broadband():
            self._zm_load_journals(company)
        return res

    def _zm_load_journals(self, company):
        """Load the missing broadband journals of ``company``'s root company."""
        company = company.sudo().root_id
        if not company.chart_template:
            return
        # account.<company>_... xmlids, made while another module installs
        chart = (
            self.sudo()
            .with_company(company)
            .with_context(lang="en_US", foreign_record_to_create=True)
        )
        data = chart._get_zm_journals(company.chart_template)
        missing = {
            xmlid: vals
            for xmlid, vals in data.items()
            if not chart.ref(xmlid, raise_if_not_found=False)
        }
        if missing:
            # the loader consumes what it is given; the translations need the originals
            chart._load_data({"account.journal": copy.deepcopy(missing)})
            chart._load_translations(companies=company, template_data={"account.journal": missing})
        company._zm_setup_journal_accounts()
