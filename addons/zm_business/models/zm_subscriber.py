from odoo import api, fields, models
from odoo.exceptions import UserError

import zm_rules

from .account_move_line import aware, naive
from .zm_subscriber_desk import desk_transaction


# one concern per file keeps each under 400 lines (STYLE.md)
class ZmSubscriber(models.Model):
    """Business transactions (C2, C3): each one locks the account, checks the operator's
    right, posts its charges and writes one ``zm.order``. All are callable over RPC."""

    _inherit = "zm.subscriber"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # Transactions
    # ------------------------------------------------------------------

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_open(self, periods=1, amount=0.0, journal_id=False, promotion=True):
        """Open the account: optional payment, then the first purchase of its package.

        ``promotion=False`` declines the package's promotion (B6) for this purchase.
        """
        user = self.env.user
        account = self._zm_begin("open")
        periods = account._zm_check_periods(periods)
        if account.order_ids.filtered(lambda o: o.kind == "open" and o.state == "done"):
            raise UserError(self.env._("The account %s is already open.", account.name))
        account._zm_check_state(("active", "waiting"), self.env._("open"))
        # an account may open empty and buy its package later
        package = account.package_id and account._zm_check_package(account.package_id)
        order = account._zm_new_order(
            "open", user, package_id=package and package.id, periods=package and periods
        )
        if amount:
            journal = account._zm_check_journal(journal_id)
            order.journal_id = journal
            account._zm_post_payment(order, account._zm_check_amount(amount), journal)
            account._zm_reconcile_open_items()
        now = fields.Datetime.now()
        if package:
            account._zm_apply_promotion(order, package, periods, promotion)
        if not package:
            account.write({"state": "active", "opened_at": now})
        elif package.start_at_first_dial and not account.first_dial_at:
            # B10: the period starts at the first dial; zm_radius calls _zm_start_service
            account._zm_sell(order, package, periods, False, False)
            account.write({"state": "waiting", "expiry_at": False, "opened_at": now})
        else:
            end = account._zm_service_end(package, periods, now)
            account._zm_sell(order, package, periods, now, end)
            expiry = account._zm_bonus_end(order.promotion_id, end)
            account.write({"state": "active", "expiry_at": expiry, "opened_at": now})
        return account._zm_done(order)

    def _zm_start_service(self, first_dial_at):
        """Start the waiting account's paid periods at its first dial (B10)."""
        for account in self.sudo().filtered(lambda s: s.state == "waiting"):
            account._zm_lock()
            end = first_dial_at
            for line in account._zm_service_lines().filtered(lambda ln: not ln.zm_service_start):
                package = account.package_id
                # a money-off line is one line for all the periods the order bought
                order = line.move_id.zm_order_id
                periods = order.periods or int(line.quantity)
                line_end = account._zm_service_end(package, periods, end)
                line.write({"zm_service_start": end, "zm_service_end": line_end})
                # promotion time follows the paid periods and carries no value
                end = account._zm_bonus_end(order.promotion_id, line_end)
            account.write({"state": "active", "expiry_at": end, "first_dial_at": first_dial_at})

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_topup(self, amount, journal_id, reference=False):
        """Put money on the account; open invoices are settled first, oldest first (E4).

        ``reference`` (a payment provider's transaction id) makes the call idempotent:
        a notification delivered twice credits once and returns the first order.
        """
        user = self.env.user
        account = self._zm_begin("topup")
        amount = account._zm_check_amount(amount)
        journal = account._zm_check_journal(journal_id)
        if reference:
            # the account row is locked, so no twin can slip in between
            done = account.env["zm.order"].search(
                [
                    ("company_id", "=", account.company_id.id),
                    ("reference", "=", reference),
                    ("kind", "=", "topup"),
                    ("state", "=", "done"),
                ],
                limit=1,
            )
            if done:
                if done.subscriber_id != account:
                    raise UserError(
                        self.env._("The payment %s was credited to another account.", reference)
                    )
                return done
        order = account._zm_new_order(
            "topup", user, journal_id=journal.id, amount=amount, reference=reference or False
        )
        account._zm_post_payment(order, amount, journal)
        account._zm_reconcile_open_items()
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_renew(self, periods=1, promotion=True):
        """Renew the current package for ``periods`` more, from the expiry or from now.

        ``promotion=False`` declines the package's promotion (B6) for this purchase.
        """
        user = self.env.user
        account = self._zm_begin("renew")
        periods = account._zm_check_periods(periods)
        account._zm_check_state(("active",), self.env._("renew"))
        package = account._zm_check_package(account.package_id)
        order = account._zm_new_order("renew", user, package_id=package.id, periods=periods)
        now = fields.Datetime.now()
        start = max(account.expiry_at or now, now)
        end = account._zm_service_end(package, periods, start)
        account._zm_apply_promotion(order, package, periods, promotion)
        account._zm_sell(order, package, periods, start, end)
        account.expiry_at = account._zm_bonus_end(order.promotion_id, end)
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_buy_package(self, package_id, periods=1, promotion=True):
        """Buy a package for an account whose service has run out (or never started).

        ``promotion=False`` declines the package's promotion (B6) for this purchase.
        """
        user = self.env.user
        account = self._zm_begin("buy_package")
        periods = account._zm_check_periods(periods)
        account._zm_check_state(("active",), self.env._("buy a package for"))
        package = account._zm_check_package(package_id)
        now = fields.Datetime.now()
        if account.expiry_at and account.expiry_at > now:
            raise UserError(
                self.env._(
                    "The account %s still has service; renew it or change its package.",
                    account.name,
                )
            )
        order = account._zm_new_order("buy_package", user, package_id=package.id, periods=periods)
        end = account._zm_service_end(package, periods, now)
        account._zm_apply_promotion(order, package, periods, promotion)
        account._zm_sell(order, package, periods, now, end)
        expiry = account._zm_bonus_end(order.promotion_id, end)
        account.write({"package_id": package.id, "expiry_at": expiry})
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_addon_package(self, package_id, periods=1):
        """Sell an add-on package on top of the running one; the expiry does not move."""
        user = self.env.user
        account = self._zm_begin("addon_package")
        periods = account._zm_check_periods(periods)
        account._zm_check_state(("active",), self.env._("add a package to"))
        package = account._zm_check_package(package_id)
        now = fields.Datetime.now()
        if not account.expiry_at or account.expiry_at <= now:
            raise UserError(self.env._("An add-on needs a running main package."))
        order = account._zm_new_order("addon_package", user, package_id=package.id, periods=periods)
        end = min(account._zm_service_end(package, periods, now), account.expiry_at)
        account._zm_sell(order, package, periods, now, end)
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_move_area(self, area_id):
        """Move the account to another area (C3)."""
        user = self.env.user
        account = self._zm_begin("move")
        area = account._zm_record("zm.area", area_id)
        if not area or area.company_id != account.company_id:
            raise UserError(self.env._("Choose an area of the account's company."))
        if area == account.area_id:
            raise UserError(self.env._("The account is already in %s.", area.display_name))
        account._zm_check_state(("active", "waiting", "paused"), self.env._("move"))
        order = account._zm_new_order("move", user)
        account.area_id = area
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_pause(self):
        """Stop the account's clock (C3); the expiry moves out by the paused time on resume."""
        user = self.env.user
        account = self._zm_begin("pause")
        account._zm_check_state(("active",), self.env._("pause"))
        order = account._zm_new_order("pause", user)
        account.write({"state": "paused", "paused_at": fields.Datetime.now()})
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_resume(self):
        """Restart a paused account; its expiry moves out by the time it was paused."""
        user = self.env.user
        account = self._zm_begin("pause")
        account._zm_check_state(("paused",), self.env._("resume"))
        order = account._zm_new_order("resume", user)
        now = fields.Datetime.now()
        paused_at = account.paused_at or now
        vals = {"state": "active", "paused_at": False}
        if account.expiry_at:
            vals["expiry_at"] = naive(
                zm_rules.resume(aware(account.expiry_at), aware(paused_at), aware(now))
            )
        account._zm_service_lines()._zm_pause_shift(paused_at, now)
        account.write(vals)
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_change_package(self, package_id, periods=1):
        """Switch package now: the old one's unused part is credited, the new one sold."""
        user = self.env.user
        account = self._zm_begin("change_package")
        periods = account._zm_check_periods(periods)
        account._zm_check_state(("active",), self.env._("change the package of"))
        package = account._zm_check_package(package_id)
        if package == account.package_id:
            raise UserError(self.env._("The account already has the package %s.", package.name))
        order = account._zm_new_order(
            "change_package", user, package_id=package.id, periods=periods
        )
        now = fields.Datetime.now()
        credit_note = account._zm_credit_unused(order, now)
        account._zm_reconcile_open_items()
        end = account._zm_service_end(package, periods, now)
        account._zm_sell(order, package, periods, now, end)
        order.amount -= credit_note.amount_total
        account.write({"package_id": package.id, "expiry_at": end})
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_cancel(self, refund_mode="balance", journal_id=False):
        """Cancel the account, crediting the unearned part; keep it or pay it out (C3)."""
        user = self.env.user
        account = self._zm_begin("cancel")
        account._zm_check_state(("active", "waiting", "paused"), self.env._("cancel"))
        if refund_mode not in ("balance", "payout"):
            raise UserError(self.env._("Refund to the balance or pay it out."))
        journal = account._zm_check_journal(journal_id) if refund_mode == "payout" else None
        order = account._zm_new_order("cancel", user, journal_id=journal and journal.id)
        now = fields.Datetime.now()
        at = account.paused_at if account.state == "paused" and account.paused_at else now
        credit_note = account._zm_credit_unused(order, at)
        account._zm_reconcile_open_items()
        order.amount = credit_note.amount_total
        if journal:
            payout = min(credit_note.amount_total, account.balance)
            if account.company_id.currency_id.compare_amounts(payout, 0) > 0:
                account._zm_post_payment(order, payout, journal, payment_type="outbound")
                account._zm_reconcile_open_items()
        vals = {"state": "cancelled", "paused_at": False, "auto_renew": False}
        if account.expiry_at and account.expiry_at > at:
            vals["expiry_at"] = at
        account.write(vals)
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_refund(self, amount, journal_id):
        """Pay money out of the account's balance; never more than it holds."""
        user = self.env.user
        account = self._zm_begin("refund")
        amount = account._zm_check_amount(amount)
        journal = account._zm_check_journal(journal_id)
        currency = account.company_id.currency_id
        if currency.compare_amounts(amount, account.balance) > 0:
            raise UserError(
                self.env._(
                    "Cannot refund %(amount)s: the account %(account)s holds only %(balance)s.",
                    amount=currency.format(amount),
                    account=account.name,
                    balance=currency.format(max(account.balance, 0.0)),
                )
            )
        order = account._zm_new_order("refund", user, journal_id=journal.id, amount=amount)
        account._zm_post_payment(order, amount, journal, payment_type="outbound")
        account._zm_reconcile_open_items()
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_set_credit(self, credit_limit):
        """Let the account run on credit up to ``credit_limit`` (the credit right)."""
        user = self.env.user
        account = self._zm_begin("credit")
        if not isinstance(credit_limit, (int, float)) or credit_limit < 0:
            raise UserError(self.env._("The credit limit must be zero or more."))
        order = account._zm_new_order("credit", user, amount=credit_limit)
        account.credit_limit = credit_limit
        return account._zm_done(order)

    def button_zm_pause(self):
        """Form button: pause (the RPC method returns the order instead)."""
        self.action_pause()
        return True

    def button_zm_resume(self):
        """Form button: resume."""
        self.action_resume()
        return True

    def action_view_zm_orders(self):
        """Open the orders of this account."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("zm_business.zm_order_action")
        action["domain"] = [("subscriber_id", "=", self.id)]
        action["context"] = {"search_default_subscriber_id": self.id}
        return action
