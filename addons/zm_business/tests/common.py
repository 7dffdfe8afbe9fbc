from datetime import datetime

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import new_test_user

ALL_RIGHTS = ",".join(
    f"zm_broadband.group_right_{right}"
    for right in (
        "open",
        "topup",
        "renew",
        "buy_package",
        "addon_package",
        "change_package",
        "move",
        "pause",
        "cancel",
        "refund",
    )
)


def utc(*args):
    """A naive UTC datetime as Odoo stores it."""
    return datetime(*args)


class ZmBusinessCommon(AccountTestInvoicingCommon):
    """A company with the generic chart, two areas, two monthly packages and an operator."""

    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref("zm_broadband.group_manager")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.zm_tz = "Asia/Shanghai"
        cls.liability, cls.revenue = cls.company._zm_check_business_accounts()
        cls.cash = cls.company._zm_journal("cash")
        cls.alipay = cls.company._zm_journal("alipay")
        # a copy of the chart's sales tax keeps its tax account, at a round 20 %
        cls.vat = cls.company_data["default_tax_sale"].copy(
            {
                "name": "VAT 20% (broadband)",
                "amount": 20.0,
                "price_include_override": "tax_excluded",
            }
        )
        cls.area = cls.env["zm.area"].create({"name": "North", "company_id": cls.company.id})
        cls.area_south = cls.env["zm.area"].create({"name": "South", "company_id": cls.company.id})
        cls.monthly = cls._package("Monthly 40", 40.0)
        cls.small = cls._package("Monthly 20", 20.0)
        cls.operator = new_test_user(
            cls.env,
            login="zm_desk_operator",
            groups=f"zm_broadband.group_operator,{ALL_RIGHTS}",
            company_id=cls.company.id,
        )
        cls.operator.zm_area_ids = [Command.set((cls.area | cls.area_south).ids)]
        cls.customer = cls.env["res.partner"].create({"name": "Hotel Bluesky"})

    @classmethod
    def _package(cls, name, price, **vals):
        return cls.env["zm.package"].create(
            {
                "name": name,
                "kind": "month",
                "period_mode": "cycle",
                "period_count": 1,
                "price": price,
                "tax_ids": [Command.set(cls.vat.ids)],
                "company_id": cls.company.id,
                **vals,
            }
        )

    def _subscriber(self, name, **vals):
        return (
            self.env["zm.subscriber"]
            .with_user(self.operator)
            .create(
                {
                    "name": name,
                    "area_id": self.area.id,
                    "customer_id": self.customer.id,
                    "company_id": self.company.id,
                    **vals,
                }
            )
            .with_env(self.env)
        )

    def _receivable_residual(self, subscriber):
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", subscriber.partner_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        return sum(lines.mapped("amount_residual"))

    def _account_balance(self, account, company=None):
        """Debit minus credit of ``account`` over posted entries."""
        lines = self.env["account.move.line"].search(
            [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        )
        return round(sum(lines.mapped("balance")), 2)

    def assertBalanced(self, moves):
        for move in moves:
            debit = round(sum(move.line_ids.mapped("debit")), 2)
            credit = round(sum(move.line_ids.mapped("credit")), 2)
            self.assertEqual(debit, credit, f"{move.display_name} is not balanced")
