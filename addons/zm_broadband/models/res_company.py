from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.expiry import DEFAULT_EXPIRING_DAYS
from .account_chart_template import ZM_JOURNALS, zm_journal_xmlid


class ResCompany(models.Model):
    _inherit = "res.company"

    zm_expiring_days = fields.Integer(
        string="Expiring Window (days)",
        default=DEFAULT_EXPIRING_DAYS,
        help="An account whose expiry falls within this many days is shown as expiring.",
    )
    zm_tz = fields.Selection(
        "_zm_tz_selection",
        string="Broadband Time Zone",
        default="Asia/Shanghai",
        help="Natural days and months of packages are cut in this time zone.",
    )

    @api.model
    def _zm_tz_selection(self):
        # the same list as a partner's time zone (a method name: the selection is
        # resolved on every read, e.g. by the settings page)
        return self.env["res.partner"]._fields["tz"]._description_selection(self.env)

    def _zm_sells_broadband(self):
        """Whether this company (or its root) has broadband areas."""
        self.ensure_one()
        return bool(
            self.env["zm.area"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("company_id", "child_of", self.root_id.id)], limit=1)
        )

    def _zm_journal(self, code, raise_if_not_found=True):
        """Return the broadband journal ``code`` (cash, card, alipay, wechat) of this company,
        made when first needed; a branch uses its parent's, as it does the chart's other
        journals."""
        self.ensure_one()
        if code not in ZM_JOURNALS:
            raise ValueError(f"Unknown broadband journal {code!r}")
        chart = self.env["account.chart.template"].with_company(self)
        journal = chart.ref(zm_journal_xmlid(code), raise_if_not_found=False)
        if not journal and self.root_id.chart_template:
            chart._zm_load_journals(self)
            journal = chart.ref(zm_journal_xmlid(code), raise_if_not_found=False)
        if not journal and raise_if_not_found:
            raise UserError(
                self.env._(
                    "The company %s has no broadband payment journals; load a chart of "
                    "accounts first.",
                    self.name,
                )
            )
        return journal or self.env["account.journal"]

    def _zm_journals(self):
        """All broadband journals of this company, by code."""
        self.ensure_one()
        return {code: self._zm_journal(code, raise_if_not_found=False) for code in ZM_JOURNALS}

    def _zm_setup_journal_accounts(self):
        """Let the broadband journals' payment methods post straight to each journal's
        own account: Community has no bank reconciliation screen, so money is booked
        where it really is (DESIGN §4)."""
        for company in self.sudo().filtered(lambda c: not c.parent_id):
            for journal in company._zm_journals().values():
                for line in (
                    journal.inbound_payment_method_line_ids
                    | journal.outbound_payment_method_line_ids
                ):
                    if not line.payment_account_id:
                        line.payment_account_id = journal.default_account_id
