from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError

import zm_rules


def aware(value):
    """An Odoo (naive UTC) datetime as the aware UTC datetime zm_rules expects."""
    return value.replace(tzinfo=UTC) if value else value


def naive(value):
    """An aware datetime as the naive UTC datetime Odoo stores."""
    return value.astimezone(UTC).replace(tzinfo=None) if value else value


def quantum(currency):
    """The currency's smallest amount as a Decimal (0.01 for CNY, 1 for JPY)."""
    return Decimal(str(currency.rounding)).normalize()


def money(value, currency):
    """``value`` as a Decimal rounded like the currency rounds (half up, as Odoo does)."""
    return Decimal(str(value)).quantize(quantum(currency), rounding=ROUND_HALF_UP)


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
    zm_recognised_until = fields.Datetime(
        string="Recognised Until",
        copy=False,
        help="The cut (start of a local month) up to which the monthly recognition took "
        "this line's earned value; a run over the same cut skips it.",
    )
    zm_open_service = fields.Boolean(
        string="Still Earning",
        compute="_compute_zm_open_service",
        store=True,
        index=True,
        help="A prepaid line still to be recognised (speeds up the monthly run).",
    )

    def _zm_guard_fields(self, vals, creating=False):
        # the prepaid bookkeeping is the desk's and the recognition's (as superuser)
        if not self.env.su and any(
            fname.startswith("zm_") and (vals[fname] or not creating) for fname in vals
        ):
            raise AccessError(
                self.env._("The broadband fields of a journal item are set by the desk only.")
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._zm_guard_fields(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._zm_guard_fields(vals)
        if not self.env.su and self._zm_desk_lines(partners=False):
            raise AccessError(
                self.env._(
                    "A journal item of a broadband charge is changed by the business desk "
                    "only; finance rejects its order, which reverses it."
                )
            )
        return super().write(vals)

    def _zm_desk_lines(self, partners=True):
        """Items of desk charges (and, with ``partners``, any item on a broadband
        account's billing partner)."""
        lines = self.sudo()
        return lines.filtered(
            lambda ln: (
                ln.move_id.zm_order_id
                or ln.move_id.zm_subscriber_id
                or (partners and ln.partner_id.commercial_partner_id.zm_area_id)
            )
        )

    def _zm_refuse_matching(self):
        if not self.env.su and self._zm_desk_lines():
            raise AccessError(
                self.env._(
                    "A broadband account's items are matched by the business desk (oldest "
                    "debt first); they are not reconciled or unreconciled by hand."
                )
            )

    def reconcile(self):
        self._zm_refuse_matching()
        return super().reconcile()

    def remove_move_reconcile(self):
        self._zm_refuse_matching()
        return super().remove_move_reconcile()

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
        currency = self.company_currency_id
        value = money(self.zm_segment_value, currency)
        if not self.zm_service_start:
            return value
        return zm_rules.unused_value(
            value,
            aware(self.zm_service_start),
            aware(self.zm_service_end),
            aware(at),
            quantum=quantum(currency),
        )

    def _zm_earned_at(self, at):
        """The value of this sale line earned by ``at``; closed lines earned the rest."""
        self.ensure_one()
        currency = self.company_currency_id
        if self.zm_closed:
            return money(self.zm_service_value, currency) - money(self.zm_refunded, currency)
        earned = money(self.zm_earned_before, currency) + money(self.zm_segment_value, currency)
        return earned - self._zm_unused_at(at)

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
            currency = line.company_currency_id
            line.write(
                {
                    "zm_earned_before": float(
                        money(line.zm_earned_before, currency)
                        + money(line.zm_segment_value, currency)
                        - unused
                    ),
                    "zm_segment_value": float(unused),
                    "zm_service_start": resumed_at,
                    "zm_service_end": line.zm_service_end + shift,
                }
            )
