from odoo import models

import zm_rules

from .account_move_line import aware, naive
from .zm_subscriber_desk import KIND_UNITS

#: rough length in hours of a unit, only to rank promotions against each other
UNIT_HOURS = {"year": 8760, "quarter": 2190, "month": 730, "day": 24, "hour": 1}
TIME_BONUS_UNITS = {"years": "year", "months": "month", "days": "day", "hours": "hour"}


# one concern per file keeps each under 400 lines (STYLE.md)
class ZmSubscriber(models.Model):
    """Promotions at purchase (B6): buy N periods, get extra time, traffic or money off.

    Rule for several applicable promotions: the one worth the most money to the buyer
    wins. Money off is worth its amount; extra time is worth its share of the package
    price (a month counts 730 hours, a year 8760); extra traffic counts as worth nothing
    here, so it wins only alone. Ties go to the promotion created last.

    DESIGN §4, promotion time carries no value: the invoice line's service period is the
    paid period only, so refunds and revenue recognition never see the bonus time.
    """

    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    def _zm_promotion_worth(self, promotion, package, periods):
        if promotion.bonus_type == "money_off":
            return promotion.bonus_value
        unit = TIME_BONUS_UNITS.get(promotion.bonus_type)
        if not unit:
            return 0.0
        package_unit = KIND_UNITS.get(package.kind) or package.quota_period or "month"
        period_hours = UNIT_HOURS[package_unit] * (package.period_count or 1)
        return package.price * promotion.bonus_value * UNIT_HOURS[unit] / period_hours

    def _zm_best_promotion(self, package, periods):
        """The applicable active promotion of ``package`` worth the most to the buyer."""
        self.ensure_one()
        today = self._zm_local_today()
        candidates = (
            self.env["zm.promotion"]
            .sudo()
            .search([("company_id", "=", self.company_id.id)], order="id desc")
            .filtered(lambda p: p._is_applicable(package, periods, today))
        )
        if not candidates:
            return candidates
        return max(candidates, key=lambda p: self._zm_promotion_worth(p, package, periods))

    def _zm_apply_promotion(self, order, package, periods, promotion):
        """Record the promotion earned by ``order`` (``promotion=False``: the operator opted out)."""
        if not promotion:
            return self.env["zm.promotion"]
        best = self._zm_best_promotion(package, periods)
        if best:
            vals = {"promotion_id": best.id}
            if best.bonus_type == "traffic_gb":
                # quotas live on the RADIUS side: zm_radius reads it from the order
                vals["bonus_traffic_gb"] = best.bonus_value
            order.write(vals)
        return best

    def _zm_bonus_end(self, promotion, end):
        """The expiry after the paid ``end`` plus the promotion's extra time (whole units)."""
        unit = TIME_BONUS_UNITS.get(promotion.bonus_type) if promotion else None
        if not unit or not end:
            return end
        extended = zm_rules.add_units(
            aware(end),
            unit,
            int(round(promotion.bonus_value)),
            self.company_id.zm_tz or zm_rules.DEFAULT_TZ,
        )
        return naive(extended)

    def _zm_money_off(self, order, total):
        """The money-off of the order's promotion, never more than ``total``."""
        promotion = order.promotion_id
        if not promotion or promotion.bonus_type != "money_off":
            return 0.0
        return min(promotion.bonus_value, total)
