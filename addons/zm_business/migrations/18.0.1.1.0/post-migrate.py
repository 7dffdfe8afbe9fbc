"""Crons are private methods now, revenue recognition has its own service model and
journal, and the contract-liability account became chart data."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env.ref("zm_business.ir_cron_zm_auto_renew").code = "model._cron_auto_renew(commit=True)"
    env.ref("zm_business.ir_cron_zm_recognise_revenue").write(
        {
            "model_id": env.ref("zm_business.model_zm_revenue_recognition").id,
            "code": "model._cron_recognise()",
        }
    )
    companies = env["res.company"].search(
        [("chart_template", "!=", False), ("parent_id", "=", False)]
    )
    for company in companies:
        account = company.zm_contract_liability_account_id
        if account:
            # the account made before keeps serving: it becomes the chart's record
            env["ir.model.data"]._update_xmlids(
                [
                    {
                        "xml_id": f"account.{company.id}_zm_contract_liability",
                        "record": account,
                        "noupdate": True,
                    }
                ]
            )
        env["account.chart.template"]._zm_load_business_data(company)
