"""Demo data: a small ISP a month into business, made through the real desk.

The accounts of zm_broadband's demo data are opened, topped up, renewed, paused,
cancelled and audited by the demo clerks and finance, on the days they would have
been, so every order, charge and balance is what the product itself produced. The
clock is moved with freezegun (Odoo's own test dependency) for the demo only.
"""

import logging
import math
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

DONE_KEY = "zm_business.demo_loaded"


class AccountChartTemplate(models.AbstractModel):
    # the demo's own hook, kept beside the demo it builds
    _inherit = "account.chart.template"  # pylint: disable=consider-merging-classes-inherited

    def try_loading(self, template_code, company, install_demo=False):  # noqa: D102
        res = super().try_loading(template_code, company, install_demo=install_demo)
        # a new demo database gets its chart at the very end of the installation
        self.env["zm.subscriber"]._zm_load_demo()
        return res


class ZmSubscriber(models.Model):
    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _zm_load_demo(self):
        """Build the demo history once, when the main company has a chart."""
        env = self.env
        company = env.ref("base.main_company", raise_if_not_found=False)
        module = env.ref("base.module_zm_business", raise_if_not_found=False)
        demo_account = env.ref("zm_broadband.demo_sub_zhang", raise_if_not_found=False)
        params = env["ir.config_parameter"].sudo()
        if not (company and company.chart_template and module and module.demo and demo_account):
            return
        if params.get_param(DONE_KEY):
            return
        try:
            from freezegun import freeze_time
        except ImportError:  # pragma: no cover - Odoo's requirements include it
            _logger.warning("freezegun is missing: the demo history is not built")
            return
        params.set_param(DONE_KEY, fields.Datetime.now())
        self.sudo()._zm_build_demo(company, freeze_time)

    def _zm_build_demo(self, company, freeze_time):  # noqa: C901 - one story, told in order
        env = self.env
        ref = env.ref
        zone = ZoneInfo(company.zm_tz or "Asia/Shanghai")
        today = datetime.now(zone).date()

        def at(days_ago, hour=10):
            local = datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=zone)
            return freeze_time(local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None))

        chart = env["account.chart.template"].with_company(company)
        tax = chart.ref("l10n_cn_sales_excluded_6", raise_if_not_found=False) or (
            company.account_sale_tax_id
        )
        packages = env["zm.package"].search([("company_id", "=", company.id)])
        packages.filtered(lambda p: not p.tax_ids).write({"tax_ids": [(6, 0, tax.ids)]})

        east, west = (
            ref("zm_broadband.demo_user_operator"),
            ref("zm_broadband.demo_user_operator_west"),
        )
        manager, finance = (
            ref("zm_broadband.demo_user_manager"),
            ref("zm_broadband.demo_user_finance"),
        )

        def desk(xmlid, user):
            return ref(xmlid).with_user(user).with_company(company)

        zhang = desk("zm_broadband.demo_sub_zhang", east)
        li = desk("zm_broadband.demo_sub_li", east)
        hotel_101 = desk("zm_broadband.demo_sub_hotel_101", east)
        hotel_102 = desk("zm_broadband.demo_sub_hotel_102", east)
        hotel_103 = desk("zm_broadband.demo_sub_hotel_103", east)
        school_1 = desk("zm_broadband.demo_sub_school_1", west)
        school_2 = desk("zm_broadband.demo_sub_school_2", west)
        day_pass = desk("zm_broadband.demo_sub_day_pass", west)
        office = desk("zm_broadband.demo_sub_office", manager)
        gone = desk("zm_broadband.demo_sub_cancelled", east)
        wang = desk("zm_broadband.demo_account_wang", west)
        month_cycle = ref("zm_broadband.demo_package_month_cycle")

        def cost(xmlid, periods=1):
            """What a clerk asks for: the package with its taxes, rounded up to a yuan."""
            package = ref(f"zm_broadband.{xmlid}")
            taxes = package.tax_ids.compute_all(package.price * periods, company.currency_id)
            return float(math.ceil(taxes["total_included"]))

        # five weeks ago the counters open
        with at(35):
            zhang.action_open(amount=cost("demo_package_month"), journal_id="cash")
            li.action_open(amount=cost("demo_package_year"), journal_id="alipay")
        with at(34):
            school_2.action_open(amount=cost("demo_package_traffic") + 10, journal_id="wechat")
        with at(33):
            hotel_101.action_open(amount=cost("demo_package_quarter"), journal_id="card")
            hotel_103.action_open(amount=cost("demo_package_quarter"), journal_id="card")
        with at(32):
            wang.action_open(amount=cost("demo_package_month_cycle"), journal_id="cash")
        with at(30):
            office.action_open(unlimited=True)
        with at(28):
            zhang.action_topup(200.0, "wechat", reference="DEMO-WX-0001")
            # the same payment keyed in again by mistake: finance rejects it below
            zhang.action_topup(200.0, "wechat")
        with at(27):
            hotel_102.action_open(amount=cost("demo_package_month_cycle"), journal_id="cash")
        with at(25):
            gone.action_open(amount=cost("demo_package_month"), journal_id="cash")
            school_1.action_open(amount=cost("demo_package_hour"), journal_id="wechat")
        with at(22):
            zhang.action_change_package(month_cycle.id, periods=2)
            zhang.auto_renew = True
        with at(10):
            gone.action_cancel(refund_mode="payout", journal_id="cash")
        with at(5):
            hotel_103.action_pause()
        with at(2):
            day_pass.action_open(amount=10.0, journal_id="cash")
            # an old customer renews on credit: the manager allows it, the clerk sells it
            ref("zm_broadband.demo_account_wang").with_user(manager).action_set_credit(100.0)
            wang.with_user(manager).action_renew()

        # finance checks last month's charges and rejects the duplicated payment
        with at(1, hour=17):
            charges = env["account.move"].search(
                [("company_id", "=", company.id), ("zm_order_id", "!=", False)]
            )
            duplicate = zhang.order_ids.filtered(lambda o: o.kind == "topup" and not o.reference)
            (charges - duplicate.move_ids).filtered(
                lambda m: m.date <= today - timedelta(days=7)
            ).with_user(finance).action_zm_check()
            duplicate.with_user(finance).action_reject("Keyed in twice: one WeChat payment")

        # and the month's income is recognised, as the monthly run does on the 1st
        env["zm.revenue.recognition"]._recognise(
            company, env["zm.revenue.recognition"]._cut(company)
        )
        _logger.info("broadband demo history built for %s", company.name)
