from odoo import api, fields, models
from odoo.addons.zm_broadband.tools.bounds import check_text
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

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
    def action_open(self, periods=1, amount=0.0, journal_id=False, promotion=True, unlimited=False):
        """Open the account: optional payment, then the first purchase of its package.

        ``promotion=False`` declines the package's promotion (B6) for this purchase.
        Without a package the account opens with no service (expired) and buys one
        later; ``unlimited=True`` (managers only, e.g. staff accounts) opens it with no
        expiry at all. Only an opened account with a paid or unlimited period is in
        good standing (DESIGN §3).
        """
        user = self.env.user
        account = self._zm_begin("open")
        periods = account._zm_check_periods(periods)
        account._zm_check_state(("draft",), self.env._("open"))
        if unlimited and not (user._is_superuser() or user.has_group("zm_broadband.group_manager")):
            raise AccessError(self.env._("Only a manager may open an account without expiry."))
        package = account.package_id and account._zm_check_package(account.package_id)
        if unlimited and package:
            raise UserError(self.env._("An account without expiry has no package to sell."))
        order = account._zm_new_order(
            "open", user, package_id=package and package.id, periods=package and periods
        )
        if amount:
            journal = account._zm_check_journal(journal_id)
            order.journal_id = journal
            account._zm_post_payment(order, account._zm_check_amount(amount), journal)
            account._zm_reconcile_open_items()
        now = fields.Datetime.now()
        if not package:
            # no paid period: opened, but not in good standing until a package is bought
            account.write(
                {"state": "active", "opened_at": now, "expiry_at": False if unlimited else now}
            )
            return account._zm_done(order)
        account._zm_apply_promotion(order, package, periods, promotion)
        if package.start_at_first_dial and not account.first_dial_at:
            # B10: the period starts at the first dial; zm_radius calls _zm_start_service
            account._zm_sell(order, package, periods, False, False)
            account.write({"state": "waiting", "expiry_at": False, "opened_at": now})
        else:
            end = account._zm_service_end(package, periods, now)
            account._zm_sell(order, package, periods, now, end)
            account._zm_start_chain(now)
            expiry = account._zm_bonus_end(order.promotion_id, end)
            account.write({"state": "active", "expiry_at": expiry, "opened_at": now})
        return account._zm_done(order)

    def _zm_start_service(self, first_dial_at):
        """Start the waiting account's paid periods at its first dial (B10)."""
        root = self.env.ref("base.user_root")
        for account in self.sudo().filtered(lambda s: s.state == "waiting"):
            account._zm_lock()
            account = account.with_context(zm_operator_id=root.id, tracking_disable=True)
            # recorded like any change of service: a rejection of the sale made before it
            # must not take the running period back (see zm.order SERVICE_KINDS)
            order = account._zm_new_order("first_dial", root, date=first_dial_at)
            end = first_dial_at
            account._zm_start_chain(first_dial_at)
            for line in account._zm_service_lines().filtered(lambda ln: not ln.zm_service_start):
                package = line.move_id.zm_order_id.package_id or account.package_id
                # a money-off line is one line for all the periods the order bought
                order = line.move_id.zm_order_id
                periods = order.periods or int(line.quantity)
                line_end = account._zm_service_end(
                    package, periods, end, account._zm_anchor_for(end)
                )
                line.write({"zm_service_start": end, "zm_service_end": line_end})
                # promotion time follows the paid periods and carries no value
                end = account._zm_bonus_end(order.promotion_id, line_end)
            account.write({"state": "active", "expiry_at": end, "first_dial_at": first_dial_at})
            account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_topup(self, amount=None, journal_id=None, reference=False):
        """Put money on the account; open invoices are settled first, oldest first (E4).

        ``reference`` (a payment provider's transaction id) makes the call idempotent:
        a notification delivered twice credits once and returns the first order.
        """
        user = self.env.user
        # the reference is claimed before the account is locked: repeated deliveries of
        # one payment then wait on the claim only, and find the first order without
        # fighting over the account's lock
        account = self._zm_begin("topup", lock=False)
        amount = account._zm_check_amount(amount)
        journal = account._zm_check_journal(journal_id)
        if reference:
            done = account._zm_claim_reference(reference)
            if done:
                # a notification delivered again: the first order, if it is the same payment
                currency = account.company_id.currency_id
                if (
                    done.subscriber_id != account
                    or done.journal_id != journal
                    or currency.compare_amounts(done.amount, amount)
                ):
                    raise UserError(
                        self.env._(
                            "The payment %(reference)s was already credited as %(order)s, "
                            "with another amount, payment method or account; it is not "
                            "credited again.",
                            reference=reference,
                            order=done.name,
                        )
                    )
                return done
        account._zm_lock()
        order = account._zm_new_order(
            "topup", user, journal_id=journal.id, amount=amount, reference=reference or False
        )
        account._zm_post_payment(order, amount, journal)
        account._zm_reconcile_open_items()
        return account._zm_done(order)

    def _zm_claim_reference(self, reference):
        """Claim a payment reference for this company; return the order that already
        holds it, or nothing when this transaction is the first.

        ``INSERT … ON CONFLICT DO NOTHING`` is the gate: a second caller waits for the
        first one's transaction and, under REPEATABLE READ, fails with a serialization
        error that the RPC layer retries - then it finds the first order here.
        """
        check_text(self.env, reference, self.env._("The payment reference"), 128)
        if not isinstance(reference, str) or not reference.strip():
            raise UserError(self.env._("The payment reference must be text."))
        self.env.cr.execute(
            SQL(
                "INSERT INTO zm_order_reference (company_id, reference) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                self.company_id.id,
                reference,
            )
        )
        if self.env.cr.fetchone():
            return self.env["zm.order"]
        done = self.env["zm.order"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("reference", "=", reference),
                ("kind", "=", "topup"),
                ("state", "=", "done"),
            ],
            limit=1,
        )
        if not done:
            raise UserError(self.env._("The payment %s is being credited; try again.", reference))
        return done

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_renew(self, periods=1, promotion=True):
        """Renew the current package for ``periods`` more, from the expiry or from now.

        ``promotion=False`` declines the package's promotion (B6) for this purchase.
        """
        account = self._zm_begin("renew")
        return account._zm_renew(self.env.user, account._zm_check_periods(periods), promotion)

    def _zm_renew(self, user, periods, promotion, balance_only=False, note=False):
        """The renewal itself, shared by the desk and the auto-renew cron."""
        self._zm_check_state(("active", "waiting"), self.env._("renew"))
        if self.state == "active" and not self.expiry_at:
            raise UserError(
                self.env._("The account %s has no expiry: there is nothing to renew.", self.name)
            )
        package = self._zm_check_package(self.package_id)
        order = self._zm_new_order("renew", user, package_id=package.id, periods=periods, note=note)
        self._zm_apply_promotion(order, package, periods, promotion)
        if self.state == "waiting":
            # the period has not started: the new periods follow it from the first dial
            self.with_context(zm_balance_only=balance_only)._zm_sell(
                order, package, periods, False, False
            )
            return self._zm_done(order)
        now = fields.Datetime.now()
        if self.expiry_at > now:
            start, anchor = self.expiry_at, self._zm_anchor_for(self.expiry_at)
        else:
            # lapsed: a new run of periods starts now
            start, anchor = now, None
            self._zm_start_chain(now)
        end = self._zm_service_end(package, periods, start, anchor)
        self.with_context(zm_balance_only=balance_only)._zm_sell(
            order, package, periods, start, end
        )
        self.expiry_at = self._zm_bonus_end(order.promotion_id, end)
        return self._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_buy_package(self, package_id=None, periods=1, promotion=True):
        """Buy a package for an account whose service has run out (or never started).

        ``promotion=False`` declines the package's promotion (B6) for this purchase.
        """
        user = self.env.user
        account = self._zm_begin("buy_package")
        periods = account._zm_check_periods(periods)
        account._zm_check_state(("active",), self.env._("buy a package for"))
        package = account._zm_check_package(package_id)
        now = fields.Datetime.now()
        if not account.expiry_at or account.expiry_at > now:
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
        account._zm_start_chain(now)
        expiry = account._zm_bonus_end(order.promotion_id, end)
        account.write({"package_id": package.id, "expiry_at": expiry})
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_addon_package(self, package_id=None, periods=1):
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
    def action_move_area(self, area_id=None):
        """Move the account to another area (C3)."""
        user = self.env.user
        account = self._zm_begin("move")
        area = account._zm_record("zm.area", area_id, self.env._("The area"))
        # the desk runs as superuser: the operator's areas are checked for the operator
        account._check_area_allowed(area, account._zm_operator())
        if not area or area.company_id != account.company_id:
            raise UserError(self.env._("Choose an area of the account's company."))
        if area == account.area_id:
            raise UserError(self.env._("The account is already in %s.", area.display_name))
        account._zm_check_state(("active", "waiting", "paused"), self.env._("move"))
        order = account._zm_new_order("move", user)
        account.area_id = area
        account._check_package_area()
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
    def action_change_package(self, package_id=None, periods=1):
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
        account._zm_start_chain(now)
        order.amount -= credit_note.amount_total
        account.write({"package_id": package.id, "expiry_at": end})
        return account._zm_done(order)

    @api.returns("zm.order", lambda order: order.id)
    @desk_transaction
    def action_cancel(self, refund_mode="balance", journal_id=False):
        """Cancel the account, crediting the unearned part; keep it or pay it out (C3)."""
        user = self.env.user
        account = self._zm_begin("cancel")
        account._zm_check_state(("draft", "active", "waiting", "paused"), self.env._("cancel"))
        if refund_mode not in ("balance", "payout"):
            raise UserError(self.env._("Refund to the balance or pay it out."))
        if refund_mode == "payout":
            # paying cash out is the refund right's, whatever action asks for it
            account._zm_check_right("refund", self.env.user)
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
    def action_refund(self, amount=None, journal_id=None):
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
    def action_set_credit(self, credit_limit=None):
        """Let the account run on credit up to ``credit_limit`` (the credit right)."""
        user = self.env.user
        account = self._zm_begin("credit")
        if credit_limit != 0:
            credit_limit = account._zm_check_amount(credit_limit)
        elif isinstance(credit_limit, bool):
            raise UserError(self.env._("The amount must be a number."))
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
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("zm_business.zm_order_action")
        action["domain"] = [("subscriber_id", "=", self.id)]
        action["context"] = {"search_default_subscriber_id": self.id}
        return action
