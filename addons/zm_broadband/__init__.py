from . import models, tools


def post_init_hook(env):
    """Create the payment journals for every company that already has a chart."""
    env["res.company"].search([("chart_template", "!=", False)])._zm_create_journals()
