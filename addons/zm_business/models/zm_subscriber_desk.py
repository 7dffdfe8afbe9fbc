import calendar
import functools
import inspect
import math
from datetime import datetime
from zoneinfo import ZoneInfo

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

import zm_rules

from .account_move_line import aware, naive

#: package kind -> unit of zm_rules; hourly and traffic packages count in their quota
#: period (a day or a month): "2 h a day x 30" is thirty days
KIND_UNITS = {"year": "year", "quarter": "quarter", "month": "month", "day": "day"}
#: at most this many periods in one purchase (ten years of a monthly package, ...)
MAX_PERIODS = 1000
#: no service may run past this instant (naive UTC, as Odoo stores it)
LATEST_EXPIRY = datetime(2200, 1, 1)
#: amounts carry at most this many significant digits, so that a float, a Monetary
#: column and every sum of them stay exact to the currency's smallest unit
AMOUNT_DIGITS = 12
#: the broadband journals money moves through (DESIGN §4)
DESK_JOURNALS = ("cash", "card", "alipay", "wechat")


def desk_transaction(method):
    """Run a business transaction in a savepoint: a refused one leaves nothing behind,
    even for a caller (cron, portal, another add-on) that catches the error. Arguments
    that do not fit the method get a clear error, not a traceback."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            signature.bind(self, *args, **kwargs)
        except TypeError as exc:
            raise UserError(
                self.env._(
                    "%(action)s cannot take these arguments: %(error)s",
                    action=method.__name__,
                    error=exc,
                )
            ) from None
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in self._ids):
            raise UserError(self.env._("Accounts are given by their ids."))
        with self.env.cr.savepoint():
            return method(self, *args, **kwargs)

    return wrapper


# one concern per file keeps each under 400 lines (STYLE.md)
class ZmSubscriber(models.Model):
    """What every business transaction shares: lock, rights, input checks, the order."""

    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    zm_desk_seq = fields.Integer(
        copy=False,
        readonly=True,
        help="Bumped by every desk transaction, so that concurrent ones on the same "
        "account serialize (see _zm_lock).",
    )
    zm_anchor_day = fields.Integer(
        string="Anchor Day",
        copy=False,
        readonly=True,
        help="Local day of the month the account's cycle started on; renewals aim at it "
        "(a month bought on 31 January runs to 29 February, then to 31 March).",
    )

    zm_period_start = fields.Datetime(
        string="Period Start",
        copy=False,
        readonly=True,
        help="When the account's current run of paid periods started (opening, first "
        "dial, a purchase after a lapse): cycle quotas count from it.",
    )

    def _zm_desk_fields(self):
        return super()._zm_desk_fields() | {"zm_desk_seq", "zm_anchor_day", "zm_period_start"}

    # ------------------------------------------------------------------
    # Plumbing shared by every transaction
    # ------------------------------------------------------------------

    def _zm_operator(self):
        """The person behind the transaction (the desk itself runs as superuser)."""
        uid = self.env.context.get("zm_operator_id")
        return self.env["res.users"].browse(uid) if uid else self.env.user

    def _zm_check_right(self, right, user=None):
        user = user or self.env.user
        if user._is_superuser() or user.has_group(f"zm_broadband.group_right_{right}"):
            return
        raise AccessError(
            self.env._("You do not have the right to do this (%s).", right.replace("_", " "))
        )

    def _zm_begin(self, right, lock=True):
        """Start a transaction on one account: check the right and access, lock it
        (``lock=False``: the caller locks it itself, later)."""
        if len(self) != 1:
            raise UserError(
                self.env._(
                    "A business transaction works on exactly one account (got %s).", len(self)
                )
            )
        if not self.exists():
            raise UserError(self.env._("The account does not exist."))
        if not self.env.su:
            self._zm_check_right(right)
            # area rules: the operator must be allowed to change this account
            self.check_access("write")
        if lock:
            self._zm_lock()
        # the accounting runs as superuser; the operator stays known for rights and areas.
        # The order records the account's state, dates, package and area before and
        # after: chatter tracking of the same changes would only repeat it, at a price
        return self.sudo().with_context(zm_operator_id=self.env.uid, tracking_disable=True)

    def _zm_lock(self):
        """Serialize the transactions of these accounts (DESIGN §4).

        An UPDATE, not only ``SELECT … FOR UPDATE``: under Odoo's REPEATABLE READ a
        second transaction waits here, and when the first commits PostgreSQL refuses it
        with a serialization failure because the row changed - the RPC layer (and the
        crons, see ``_cron_auto_renew``) retry it on a fresh snapshot, so it sees the
        first one's balance and dates. A lock alone would let it go on with a stale
        balance: two add-ons at once would both pass the credit check.
        """
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "UPDATE zm_subscriber SET zm_desk_seq = COALESCE(zm_desk_seq, 0) + 1 "
                    "WHERE id IN %s",
                    tuple(self.ids),
                )
            )
            self.invalidate_recordset()

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
        expiry_text = self._zm_local_text(expiry) if expiry else "-"
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

    def _zm_local_text(self, when):
        """``2027-02-01 00:00`` in the company's broadband time zone (what a clerk reads)."""
        zone = self.company_id.zm_tz or zm_rules.DEFAULT_TZ
        return aware(when).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")

    def _zm_new_order(self, kind, user, **vals):
        self.ensure_one()
        snap = self._zm_snapshot()
        return (
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
                    "credit_limit_before": snap["credit_limit"],
                    "desk_before": self._zm_desk_values(),
                    **vals,
                }
            )
        )

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

    # ------------------------------------------------------------------
    # Input checks: bad input gets a clear, translated error (never a traceback)
    # ------------------------------------------------------------------

    def _zm_record(self, model, value, label):
        """Accept a record of ``model`` or its id (RPC callers pass ids), that exists and
        that the operator may read."""
        if isinstance(value, models.BaseModel):
            if value._name != model or len(value) > 1:
                raise UserError(self.env._("%s must be one record.", label))
            record = value
        elif value in (False, None, 0):
            return self.env[model]
        elif isinstance(value, int) and not isinstance(value, bool):
            record = self.env[model].browse(value)
        else:
            raise UserError(self.env._("%s must be given by its id.", label))
        record = record.sudo()
        if not record.exists():
            raise UserError(self.env._("%s does not exist.", label))
        operator = self._zm_operator()
        if not operator._is_superuser():
            record.with_user(operator).check_access("read")
        return record

    def _zm_check_amount(self, amount):
        currency = self.company_id.currency_id
        if not isinstance(amount, (int, float)) or isinstance(amount, bool):
            raise UserError(self.env._("The amount must be a number."))
        if not math.isfinite(amount) or currency.compare_amounts(amount, 0) <= 0:
            raise UserError(self.env._("The amount must be greater than zero."))
        limit = 10 ** (AMOUNT_DIGITS - currency.decimal_places)
        if amount >= limit:
            raise UserError(
                self.env._(
                    "The amount %(amount)s is too large: one transaction moves less than "
                    "%(limit)s.",
                    amount=amount,
                    limit=currency.format(limit),
                )
            )
        return currency.round(amount)

    def _zm_check_periods(self, periods):
        if not isinstance(periods, int) or isinstance(periods, bool) or periods < 1:
            raise UserError(self.env._("The number of periods must be a whole number, 1 or more."))
        if periods > MAX_PERIODS:
            raise UserError(self.env._("At most %s periods can be bought at once.", MAX_PERIODS))
        return periods

    def _zm_check_journal(self, journal):
        """One of the company's broadband journals, given by record, id or code."""
        company = self.company_id
        journals = {
            code: company._zm_journal(code, raise_if_not_found=False) for code in DESK_JOURNALS
        }
        if isinstance(journal, str) and journal in journals:
            found = journals[journal]
        elif isinstance(journal, models.BaseModel) and journal._name == "account.journal":
            found = journal if len(journal) == 1 else None
        elif isinstance(journal, int) and not isinstance(journal, bool) and journal:
            found = self.env["account.journal"].browse(journal)
        else:
            found = None
        if not found or found.sudo() not in tuple(journals.values()):
            raise UserError(
                self.env._(
                    "Choose a payment method: cash, bank card, Alipay or WeChat Pay of the "
                    "account's company."
                )
            )
        return found.sudo()

    def _zm_check_package(self, package):
        package = self._zm_record("zm.package", package, self.env._("The package"))
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

    # ------------------------------------------------------------------
    # Periods
    # ------------------------------------------------------------------

    def _zm_tz(self):
        return self.company_id.zm_tz or zm_rules.DEFAULT_TZ

    def _zm_local_day(self, when):
        return aware(when).astimezone(ZoneInfo(self._zm_tz())).day

    def _zm_anchor_for(self, start):
        """The anchor day a renewal starting at ``start`` keeps, if the account's cycle
        still runs on it: ``start`` falls on the anchor day, or on the month's last day
        when the anchor day does not exist in that month (31 -> 29 February)."""
        anchor = self.zm_anchor_day
        if not anchor:
            return None
        local = aware(start).astimezone(ZoneInfo(self._zm_tz()))
        month_days = calendar.monthrange(local.year, local.month)[1]
        return anchor if local.day == min(anchor, month_days) else None

    def _zm_service_end(self, package, periods, start, anchor_day=None):
        """When ``periods`` purchases of ``package`` starting at ``start`` end."""
        unit = KIND_UNITS.get(package.kind) or package.quota_period or "month"
        natural = package.period_mode == "natural"
        try:
            end = zm_rules.expiry_after(
                aware(start),
                unit,
                package.period_count * periods,
                self._zm_tz(),
                natural=natural,
                anchor_day=None if natural else anchor_day,
            )
        except (OverflowError, ValueError):
            end = None
        end = naive(end) if end else None
        if not end or end >= LATEST_EXPIRY:
            raise UserError(
                self.env._("%s periods of this package would run past the year 2200.", periods)
            )
        return end

    def _zm_start_chain(self, start):
        """A new run of periods starts at ``start``: renewals aim at its day, cycle quotas
        count from it."""
        self.write({"zm_anchor_day": self._zm_local_day(start), "zm_period_start": start})

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
