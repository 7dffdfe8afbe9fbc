from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.expiry import DEFAULT_EXPIRING_DAYS

#: code -> (English name, journal type, journal code); DESIGN §4
ZM_JOURNALS = {
    "cash": ("Cash", "cash", "ZMCSH"),
    "card": ("Bank card", "bank", "ZMCRD"),
    "alipay": ("Alipay", "bank", "ZMALI"),
    "wechat": ("WeChat Pay", "bank", "ZMWX"),
}


def _journal_names(env):
    """Journal names in the language of ``env`` (literal calls, so they are exported)."""
    return {
        "cash": env._("Cash"),
        "card": env._("Bank card"),
        "alipay": env._("Alipay"),
        "wechat": env._("WeChat Pay"),
    }


def _tz_get(self):
    return self.env["res.partner"]._fields["tz"].selection(self.env["res.partner"])


class ResCompany(models.Model):
    _inherit = "res.company"

    zm_expiring_days = fields.Integer(
        string="Expiring Window (days)",
        default=DEFAULT_EXPIRING_DAYS,
        help="An account whose expiry falls within this many days is shown as expiring.",
    )
    zm_tz = fields.Selection(
        _tz_get,
        string="Broadband Time Zone",
        default="Asia/Shanghai",
        help="Natural days and months of packages are cut in this time zone.",
    )

    def _zm_journal_xmlid(self, code):
        self.ensure_one()
        return f"zm_broadband.{self.id}_journal_{code}"

    def _zm_journal(self, code, raise_if_not_found=True):
        """Return this company's broadband journal for ``code`` (cash, card, alipay, wechat)."""
        self.ensure_one()
        if code not in ZM_JOURNALS:
            raise ValueError(f"Unknown broadband journal {code!r}")
        journal = self.env.ref(self._zm_journal_xmlid(code), raise_if_not_found=False)
        if not journal and raise_if_not_found:
            raise UserError(
                self.env._(
                    "The company %(company)s has no %(journal)s journal; load a chart of "
                    "accounts first.",
                    company=self.name,
                    journal=ZM_JOURNALS[code][0],
                )
            )
        return journal or self.env["account.journal"]

    def _zm_prepare_journal_vals(self, code):
        """Return the values of the broadband journal ``code`` of this company."""
        self.ensure_one()
        name, journal_type, journal_code = ZM_JOURNALS[code]
        return {
            "name": name,
            "type": journal_type,
            "code": journal_code,
            "company_id": self.id,
            "show_on_dashboard": True,
        }

    def _zm_translate_journal(self, journal, code):
        # created from code, not from data files: give each installed language its name
        translations = {}
        for lang, __ in self.env["res.lang"].get_installed():
            if lang != "en_US":
                env = self.env(context=dict(self.env.context, lang=lang))
                translations[lang] = _journal_names(env)[code]
        if translations:
            journal.update_field_translations("name", translations)
            journal.default_account_id.update_field_translations("name", translations)

    def _zm_create_journals(self):
        """Create the missing broadband journals of these companies, with their xmlids.

        Each journal gets its own liquidity account and its payment methods post
        straight to it: Community has no bank reconciliation screen, so money is
        booked where it really is.
        """
        Journal = self.env["account.journal"].sudo()
        IrModelData = self.env["ir.model.data"].sudo()
        for company in self.sudo():
            for code in ZM_JOURNALS:
                if company._zm_journal(code, raise_if_not_found=False):
                    continue
                vals = company._zm_prepare_journal_vals(code)
                journal = Journal.search(
                    [("company_id", "=", company.id), ("code", "=", vals["code"])], limit=1
                ) or Journal.with_company(company).with_context(lang="en_US").create(vals)
                for line in (
                    journal.inbound_payment_method_line_ids
                    | journal.outbound_payment_method_line_ids
                ):
                    if not line.payment_account_id:
                        line.payment_account_id = journal.default_account_id
                company._zm_translate_journal(journal, code)
                IrModelData._update_xmlids(
                    [
                        {
                            "xml_id": company._zm_journal_xmlid(code),
                            "record": journal,
                            "noupdate": True,
                        }
                    ]
                )
