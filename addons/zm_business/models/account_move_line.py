from datetime import UTC, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from odoo import api, fields, models

import zm_rules


def aware(value):
    """An Odoo (naive UTC) datetime as the aware UTC datetime zm_rules expects."""
    return value.replace(tzinfo=UTC) if value else value


def naive(value):
    """An aware datetime as the naive UTC datetime Odoo stores."""
    return value.astimezone(UTC).replace(tzinfo=None) if value else value


def money(value):
    return Decimal(str(value)).quantize(zm_rules.CENT)


class AccountMoveLine(models.Model):
    """A package sale line carries the service period its prepaid value is earned over.

    The value still to earn is one *segment* ``[zm_service_start, zm_service_end)``
    worth ``zm_segment_value``; what was earned before the segment (before a pause) is
    ``zm_earned_before``. A resume starts a new segment with the unused value, so a
    paused account earns nothing while it is paused.
    """

    _inherit = "account.move.line"

    zm_service_start = fields.Datetime(string="Service Start", copy=False)
    zm_service_end = fields.Datetime(string="Service End", copy=False)
    zm_service_value = fields.Monetary(
        string="Prepaid Value",
        copy=False,
        currency_field="company_currency_id",
        help="Untaxed value of the service sold on this line.",
    )
    zm_segment_value = fields.Monetary(
        string="Segment Value", copy=False, currency_field="company_currency_id"
    )
    zm_earned_before = fields.Monetary(
        string="Earned Before Pause", copy=False, currency_field="company_currency_id"
    )
    zm_recognised = fields.Monetary(
        string="Recognised",
        copy=False,
        currency_field="company_currency_id",
        help="Part of the prepaid value already moved to revenue.",
    )
    zm_refunded = fields.Monetary(
        string="Refunded Value", copy=False, currency_field="company_currency_id"
    )
    zm_closed = fields.Boolean(
        string="Closed", copy=False, help="The unused rest was refunded or the sale was reversed."
    )
    zm_source_line_id = fields.Many2one(
        "account.move.line",
        string="Credited Sale Line",
        copy=False,
        index="btree_not_null",
        help="On a credit note of an unused rest: the sale line it credits.",
    )
    zm_open_service = fields.Boolean(
        string="Still Earning",
        compute="_compute_zm_open_service",
        store=True,
        index=True,
        help="A prepaid line still to be recognised (speeds up the monthly run).",
    )

    @api.depends("zm_service_value", "zm_recognised", "zm_refunded")
    def _compute_zm_open_service(self):
        for line in self:
            line.zm_open_service = bool(line.zm_service_value) and (
                line.company_currency_id.compare_amounts(
                    line.zm_recognised + line.zm_refunded, line.zm_service_value
                )
                < 0
            )

    # ------------------------------------------------------------------
    # Earned / unused value
    # ------------------------------------------------------------------

    def _zm_unused_at(self, at):
        """The unearned value of this sale line at ``at`` (a naive UTC datetime)."""
        self.ensure_one()
        if self.zm_closed:
            return Decimal(0)
        value = money(self.zm_segment_value)
        if not self.zm_service_start:
            return value
        return zm_rules.unused_value(
            value, aware(self.zm_service_start), aware(self.zm_service_end), aware(at)
        )

    def _zm_earned_at(self, at):
        """The value of this sale line earned by ``at``; closed lines earned the rest."""
        self.ensure_one()
        if self.zm_closed:
            return money(self.zm_service_value) - money(self.zm_refunded)
        return money(self.zm_earned_before) + money(self.zm_segment_value) - self._zm_unused_at(at)

    def _zm_close(self, refunded):
        """Stop earning: ``refunded`` maps each line id to the value credited back."""
        for line in self:
            line.write({"zm_refunded": float(refunded[line.id]), "zm_closed": True})

    def _zm_pause_shift(self, paused_at, resumed_at):
        """Move the service of these lines out by a pause (DESIGN §3, zm_rules.resume)."""
        shift = resumed_at - paused_at
        for line in self.filtered(lambda ln: not ln.zm_closed and ln.zm_service_start):
            if line.zm_service_end <= paused_at:
                continue
            if line.zm_service_start >= paused_at:
                line.write(
                    {
                        "zm_service_start": line.zm_service_start + shift,
                        "zm_service_end": line.zm_service_end + shift,
                    }
                )
                continue
            unused = line._zm_unused_at(paused_at)
            line.write(
                {
                    "zm_earned_before": float(
                        money(line.zm_earned_before) + money(line.zm_segment_value) - unused
                    ),
                    "zm_segment_value": float(unused),
                    "zm_service_start": resumed_at,
                    "zm_service_end": line.zm_service_end + shift,
                }
            )

    # ------------------------------------------------------------------
    # Monthly recognition
    # ------------------------------------------------------------------

    @api.model
    def cron_zm_recognise_revenue(self):
        """Cron entry point: recognise what was earned up to this local month's start."""
        for company in self.env["res.company"].search([("chart_template", "!=", False)]):
            tz = company.zm_tz or zm_rules.DEFAULT_TZ
            now = aware(fields.Datetime.now())
            cut = zm_rules.natural_month_bounds(now, tz).start
            self.with_company(company)._zm_recognise_revenue(company, naive(cut))

    @api.model
    def _zm_recognise_revenue(self, company, cut):
        """Post one entry moving the prepaid income earned by ``cut`` to revenue."""
        liability, revenue = company._zm_check_business_accounts()
        lines = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("zm_open_service", "=", True),
                ("parent_state", "=", "posted"),
            ],
            order="id",
        )
        amounts = {}
        for line in lines:
            at = cut
            subscriber = line.move_id.zm_subscriber_id
            if subscriber.state == "paused" and subscriber.paused_at:
                at = min(cut, subscriber.paused_at)
            due = line._zm_earned_at(at) - money(line.zm_recognised)
            if due > 0:
                amounts[line] = due
        if not amounts:
            return self.env["account.move"]
        total = sum(amounts.values())
        # dated on the last local day the income was earned in
        tz = ZoneInfo(company.zm_tz or zm_rules.DEFAULT_TZ)
        entry_date = (aware(cut) - timedelta(microseconds=1)).astimezone(tz).date()
        journal = (
            self.env["account.journal"]
            .sudo()
            .search(
                [
                    *self.env["account.journal"]._check_company_domain(company),
                    ("type", "=", "general"),
                ],
                limit=1,
            )
        )
        move = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "company_id": company.id,
                    "date": entry_date,
                    "ref": self.env._(
                        "Broadband income earned until %s", fields.Datetime.to_string(cut)
                    ),
                    "line_ids": [
                        fields.Command.create(
                            {
                                "name": self.env._("Earned prepaid income"),
                                "account_id": liability.id,
                                "debit": float(total),
                                "credit": 0.0,
                            }
                        ),
                        fields.Command.create(
                            {
                                "name": self.env._("Earned prepaid income"),
                                "account_id": revenue.id,
                                "debit": 0.0,
                                "credit": float(total),
                            }
                        ),
                    ],
                }
            )
        )
        move.action_post()
        for line, due in amounts.items():
            line.zm_recognised = float(money(line.zm_recognised) + due)
        return move
