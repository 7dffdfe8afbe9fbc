from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class ZmBroadbandCase(TransactionCase):
    """A small catalogue: two area trees, a rate template, a monthly package, users.

    Post-install: a database installed without demo data gets its chart of accounts
    only at the end of the installation, and taxes and journals need one.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls._ensure_chart()
        cls.company = cls.env.company
        Area = cls.env["zm.area"]
        cls.area_east = Area.create({"name": "East", "code": "T-E"})
        cls.area_east_1 = Area.create(
            {"name": "East 1", "code": "T-E1", "parent_id": cls.area_east.id}
        )
        cls.area_east_1a = Area.create(
            {"name": "Block A", "code": "T-E1A", "parent_id": cls.area_east_1.id}
        )
        cls.area_west = Area.create({"name": "West", "code": "T-W"})
        cls.rate = cls.env["zm.rate.template"].create(
            {"name": "100M/20M", "up_kbps": 20_000, "down_kbps": 100_000}
        )
        # own tax group: the tests must not depend on a chart of accounts
        cls.tax_group = cls.env["account.tax.group"].create({"name": "Broadband VAT"})
        cls.tax = cls.env["account.tax"].create(
            {
                "name": "VAT 6% broadband",
                "amount": 6.0,
                "type_tax_use": "sale",
                "tax_group_id": cls.tax_group.id,
            }
        )
        cls.package = cls.env["zm.package"].create(
            {
                "name": "100M monthly",
                "code": "T-M100",
                "kind": "month",
                "price": 100.0,
                "tax_ids": [fields.Command.set(cls.tax.ids)],
                "rate_template_id": cls.rate.id,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Grand Hotel", "is_company": True, "email": "desk@hotel.test"}
        )
        cls.operator = new_test_user(
            cls.env, login="zm_operator", groups="zm_broadband.group_operator"
        )
        cls.operator.zm_area_ids = cls.area_east_1
        cls.finance = new_test_user(
            cls.env, login="zm_finance", groups="zm_broadband.group_finance"
        )
        cls.manager = new_test_user(
            cls.env, login="zm_manager", groups="zm_broadband.group_manager"
        )

    @classmethod
    def _ensure_chart(cls):
        """Load the generic chart when the database has none (installed without demo)."""
        if not cls.env.company.chart_template:
            cls.env["account.chart.template"].try_loading(
                "generic_coa", cls.env.company, install_demo=False
            )

    @classmethod
    def _subscriber(cls, name, **vals):
        """An account as a migration would bring it (superuser): active unless told."""
        return cls.env["zm.subscriber"].create(
            {
                "name": name,
                "area_id": cls.area_east.id,
                "package_id": cls.package.id,
                "state": "active",
                **vals,
            }
        )

    @staticmethod
    def _in_days(days):
        return fields.Datetime.now() + timedelta(days=days)
