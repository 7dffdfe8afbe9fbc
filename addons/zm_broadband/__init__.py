from . import models, tools


def post_init_hook(env):
    """Give the broadband journals to every company that already has a chart."""
    companies = env["res.company"].search([("chart_template", "!=", False)], order="parent_path")
    for company in companies.filtered(lambda c: c._zm_sells_broadband()):
        env["account.chart.template"]._zm_load_journals(company)
