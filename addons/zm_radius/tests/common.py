from freezegun import freeze_time
from odoo import Command
from odoo.addons.zm_business.tests.common import ZmBusinessCommon, utc  # noqa: F401
from odoo.tests import new_test_user
from odoo.tools import SQL

from zm_rules import contract

S = contract.SCHEMA


class ZmRadiusCommon(ZmBusinessCommon):
    """The desk's company, with a rate template on its packages, a NAS and pools."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rate = cls.env["zm.rate.template"].create(
            {"name": "50M", "up_kbps": 10240, "down_kbps": 51200, "company_id": cls.company.id}
        )
        (cls.monthly | cls.small).rate_template_id = cls.rate
        cls.nas = cls.env["zm.nas"].create(
            {
                "name": "Test NAS",
                "ip": "192.0.2.10",
                "secret": "s3cret",
                "area_id": cls.area.id,
                "company_id": cls.company.id,
            }
        )
        cls.manager = new_test_user(
            cls.env,
            login="zm_rad_manager",
            groups="zm_broadband.group_manager",
            company_id=cls.company.id,
        )
        cls.finance = new_test_user(
            cls.env,
            login="zm_rad_finance",
            groups="zm_broadband.group_finance",
            company_id=cls.company.id,
        )
        Pool = cls.env["zm.ip.pool"]
        cls.pool_normal = Pool.create({"name": "t-normal", "company_id": cls.company.id})
        cls.pool_expired = Pool.create(
            {"name": "t-expired", "kind": "expired", "company_id": cls.company.id}
        )
        cls.pool_south = Pool.create(
            {
                "name": "t-south",
                "company_id": cls.company.id,
                "area_ids": [Command.set(cls.area_south.ids)],
            }
        )

    def _on_credit(self, name):
        """An account opened for cash, then renewed on a credit of 100: it owes 48."""
        account = self._subscriber(name, package_id=self.monthly.id)
        with freeze_time("2026-06-01 02:00:00"):
            account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
            account.with_user(self.manager).action_set_credit(100.0)
            account.with_user(self.manager).action_renew()  # 48 owed (VAT included)
        return account

    def _row(self, account):
        """The account's row of the contract view, as the bridge reads it."""
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(f"SELECT * FROM {S}.account WHERE username = %s", account.name.lower())
        )
        return rows[0] if rows else None

    def _feed(self):
        """The change feed's rows written in this transaction."""
        self.env.flush_all()
        return self.env.execute_query(
            SQL(f"SELECT username FROM {S}.account_change WHERE txid = pg_current_xact_id()")
        )
