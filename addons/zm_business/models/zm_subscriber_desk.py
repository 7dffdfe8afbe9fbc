import functools
import math

from odoo import models
from odoo.exceptions import UserError

import zm_rules

from .account_move_line import aware, naive

#: package kind -> unit of zm_rules (traffic packages count in their quota period)
KIND_UNITS = {"year": "year", "quarter": "quarter", "month": "month", "day": "day", "hour": "hour"}


def desk_transaction(method):
    """Run a business transaction in a savepoint: a refused one leaves nothing behind,
    even for a caller (cron, portal, another add-on) that catches the error."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.env.cr.savepoint():
            return method(self, *args, **kwargs)

    return wrapper


# one concern per file keeps each under 400 lines (STYLE.md)
class ZmSubscriber(models.Model):
    """What every business transaction shares: lock, rights, input checks, the order."""

    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # Plumbing shared by every transaction
    # ------------------------------------------------------------------

    def _zm_check_right(self, right):
        if self.env.su or self.env.user.has_group(f"zm_broadband.group_right_{right}"):
            return
        raise UserError(
            self.env._("You do not have the right to do this (%s).", right.replace("_", " "))
        )

    def _zm_begin(self, right):
        """Start a transaction on one account: lock it, then check the right."""
        self.ensure_one()
        self._zm_check_right(right)
        self.check_access("write")
        self._zm_lock()
        # the accounting runs as superuser; the operator stays known for the credit right.
        # The order records the account's state, dates, package and area before and
        # after: chatter tracking of the same changes would only repeat it, at a price
        return self.sudo().with_context(zm_operator_id=self.env.uid, tracking_disable=True)

    def _zm_snapshot(self):
        return {
            "expiry_at": self.expiry_at,
            "state": self.state,
            "package": self.package_id,
            "area": self.area_id,
            "balance": self.balance,
            "credit_limit": self.credit_limit,
        }

    def _zm_describe(self, snap):
        currency = self.company_id.currency_id
        labels = dict(self._fields["state"]._description_selection(self.env))
        expiry = snap["expiry_at"]
        expiry_text = expiry.strftime("%Y-%m-%d %H:%M:%S UTC") if expiry else "-"
        return "\n".join(
            [
                self.env._("State: %s", labels.get(snap["state"], snap["state"])),
                self.env._("Expires: %s", expiry_text),
                self.env._("Package: %s", snap["package"].display_name or "-"),
                self.env._("Area: %s", snap["area"].display_name or "-"),
                self.env._("Balance: %s", currency.format(snap["balance"])),
                self.env._("Credit limit: %s", currency.format(snap["credit_limit"])),
            ]
        )

    def _zm_new_order(self, kind, user, **vals):
        self.ensure_one()
        snap = self._zm_snapshot()
        order = (
            self.env["zm.order"]
            .sudo()
            .create(
                {
                    "subscriber_id": self.id,
                    "area_id": self.area_id.id,
                    "user_id": user.id,
                    "kind": kind,
                    "company_id": self.company_id.id,
                    "note_before": self._zm_describe(snap),
                    "expiry_before": snap["expiry_at"],
                    "state_before": snap["state"],
                    "package_before_id": snap["package"].id,
                    "area_before_id": snap["area"].id,
                    **vals,
                }
            )
        )
        return order

    def _zm_done(self, order):
        self.invalidate_recordset(["balance", "in_arrears"])
        snap = self._zm_snapshot()
        note_after = self._zm_describe(snap)
        if order.promotion_id:
            note_after += "\n" + self.env._("Promotion: %s", order.promotion_id.name)
        order.write(
            {
                "note_after": note_after,
                "expiry_after": snap["expiry_at"],
                "state_after": snap["state"],
                "area_id": self.area_id.id,
            }
        )
        return order

    def _zm_record(self, model, value):
        """Accept a record or an id (RPC callers pass ids)."""
        if isinstance(value, models.BaseModel):
            return value
        return self.env[model].browse(int(value)) if value else self.env[model]

    def _zm_check_amount(self, amount):
        if not isinstance(amount, (int, float)) or isinstance(amount, bool):
            raise UserError(self.env._("The amount must be a number."))
        if not math.isfinite(amount) or self.company_id.currency_id.compare_amounts(amount, 0) <= 0:
            raise UserError(self.env._("The amount must be greater than zero."))
        return self.company_id.currency_id.round(amount)

    def _zm_check_periods(self, periods):
        if not isinstance(periods, int) or isinstance(periods, bool) or periods < 1:
            raise UserError(self.env._("The number of periods must be a whole number, 1 or more."))
        return periods

    def _zm_check_journal(self, journal_id):
        journal = self._zm_record("account.journal", journal_id).sudo()
        if not journal or journal.type not in ("bank", "cash"):
            raise UserError(self.env._("Choose a payment method (a cash or bank journal)."))
        if journal.company_id != self.company_id:
            raise UserError(
                self.env._("The payment method %s belongs to another company.", journal.name)
            )
        return journal

    def _zm_check_package(self, package_id):
        package = self._zm_record("zm.package", package_id).sudo()
        if not package:
            raise UserError(self.env._("Choose a package."))
        if package.company_id != self.company_id:
            raise UserError(
                self.env._("The package %s belongs to another company.", package.display_name)
            )
        if not package.active:
            raise UserError(self.env._("The package %s is archived.", package.display_name))
        if not package._is_sold_in(self.area_id):
            raise UserError(
                self.env._(
                    "The package %(package)s is not sold in the area %(area)s.",
                    package=package.display_name,
                    area=self.area_id.display_name,
                )
            )
        if not package.product_id:
            raise UserError(self.env._("The package %s has no product.", package.display_name))
        return package

    def _zm_check_state(self, allowed, action):
        if self.state not in allowed:
            labels = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "Cannot %(action)s the account %(account)s: it is %(state)s.",
                    action=action,
                    account=self.name,
                    state=labels[self.state],
                )
            )

    def _zm_service_end(self, package, periods, start):
        """When ``periods`` purchases of ``package`` starting at ``start`` end."""
        unit = KIND_UNITS.get(package.kind) or package.quota_period or "month"
        end = zm_rules.expiry_after(
            aware(start),
            unit,
            package.period_count * periods,
            self.company_id.zm_tz or zm_rules.DEFAULT_TZ,
            natural=package.period_mode == "natural",
        )
        return naive(end)

    def _zm_sell(self, order, package, periods, start, end):
        """Invoice ``periods`` of ``package`` for ``[start, end)``, paid from the balance."""
        currency = self.company_id.currency_id
        gross = currency.round(package.price * periods)
        money_off = self._zm_money_off(order, gross)
        if money_off:
            # B6 money off comes off the package price; one line keeps the total exact
            line_vals = self._zm_prepare_invoice_line_vals(
                package, 1, currency.round(gross - money_off), start, end
            )
            line_vals["name"] = self.env._(
                "%(package)s x %(periods)s (promotion %(promotion)s: %(off)s off)",
                package=package.display_name,
                periods=periods,
                promotion=order.promotion_id.name,
                off=currency.format(money_off),
            )
        else:
            line_vals = self._zm_prepare_invoice_line_vals(
                package, periods, package.price, start, end
            )
        invoice = self._zm_create_invoice(order, [line_vals])
        self._zm_check_funds(invoice.amount_total)
        invoice.zm_payment_method = self._zm_settlement(invoice.amount_total)
        self._zm_post(invoice)
        self._zm_reconcile_open_items()
        order.amount += invoice.amount_total
        return invoice
