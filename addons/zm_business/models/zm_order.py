from odoo import api, fields, models
from odoo.addons.zm_broadband.tools.bounds import check_text
from odoo.exceptions import AccessError, UserError

ORDER_KINDS = [
    ("open", "Open"),
    ("topup", "Top-up"),
    ("renew", "Renewal"),
    ("buy_package", "Buy package"),
    ("addon_package", "Add-on package"),
    ("move", "Move area"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("change_package", "Change package"),
    ("cancel", "Cancel"),
    ("refund", "Refund"),
    ("credit", "Credit"),
    ("first_dial", "First dial"),
]

#: orders that only move money: they never stand in the way of rejecting another order
MONEY_KINDS = ("topup", "refund")
#: orders that sell or end service (their charges carry service periods): a rejection
#: gives back exactly what the order changed only while no later one of these stands on
#: it (pay, renew, cancel, then reject the renewal would otherwise refund it twice).
#: The first dial, which starts the paid periods, counts as one. Pause, resume and move
#: post no charge and commute with a rejection (see zm.subscriber._zm_restore_vals).
SERVICE_KINDS = (
    "open",
    "renew",
    "buy_package",
    "addon_package",
    "change_package",
    "cancel",
    "first_dial",
)
#: what finance may reject: the orders that post charges, and credit limits
REJECTABLE_KINDS = (
    "open",
    "topup",
    "renew",
    "buy_package",
    "addon_package",
    "change_package",
    "cancel",
    "refund",
    "credit",
)


class ZmOrder(models.Model):
    """One business transaction on a broadband account (D6).

    Every operator action writes one order: who, when, what changed (the notes and the
    before / after dates), and the charges it posted in Odoo Accounting.
    """

    _name = "zm.order"
    _description = "Broadband Order"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Number", readonly=True, copy=False, index=True)
    subscriber_id = fields.Many2one(
        "zm.subscriber",
        string="Account",
        required=True,
        index=True,
        readonly=True,
        ondelete="restrict",
        check_company=True,
    )
    area_id = fields.Many2one(
        "zm.area",
        readonly=True,
        index=True,
        help="The account's area when the order was made.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Operator",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.user,
    )
    date = fields.Datetime(required=True, index=True, readonly=True, default=fields.Datetime.now)
    kind = fields.Selection(ORDER_KINDS, string="Item", required=True, index=True, readonly=True)
    package_id = fields.Many2one("zm.package", index=True, readonly=True)
    periods = fields.Integer(readonly=True)
    amount = fields.Monetary(
        readonly=True, help="Money moved by the order: paid in, charged, credited or paid out."
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    journal_id = fields.Many2one(
        "account.journal", string="Payment Method", readonly=True, check_company=True
    )
    move_ids = fields.One2many("account.move", "zm_order_id", string="Charges", readonly=True)
    payment_ids = fields.One2many(
        "account.payment", "zm_order_id", string="Payments", readonly=True
    )
    reference = fields.Char(
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="External payment reference (e.g. an Alipay trade number); a top-up with a "
        "known reference is not credited twice.",
    )
    promotion_id = fields.Many2one(
        "zm.promotion",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        help="The promotion the purchase earned (B6).",
    )
    bonus_traffic_gb = fields.Float(
        string="Bonus Traffic (GB)",
        readonly=True,
        help="Extra traffic of the promotion, for the RADIUS quota.",
    )
    note_before = fields.Text(string="Before", readonly=True)
    note_after = fields.Text(string="After", readonly=True)
    note = fields.Text()
    expiry_before = fields.Datetime(readonly=True)
    expiry_after = fields.Datetime(readonly=True)
    state_before = fields.Char(readonly=True)
    state_after = fields.Char(readonly=True)
    package_before_id = fields.Many2one("zm.package", readonly=True)
    credit_limit_before = fields.Monetary(readonly=True)
    desk_before = fields.Json(
        readonly=True,
        copy=False,
        help="The account's money and service fields before the order, as a rejection "
        "restores them.",
    )
    area_before_id = fields.Many2one("zm.area", readonly=True)
    state = fields.Selection(
        [("done", "Done"), ("rejected", "Rejected")],
        default="done",
        required=True,
        readonly=True,
        index=True,
    )
    reject_reason = fields.Char(readonly=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )

    def init(self):
        # a payment reference credits once per company, even across accounts at once
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS zm_order_topup_reference_uniq "
            "ON zm_order (company_id, reference) "
            "WHERE reference IS NOT NULL AND kind = 'topup' AND state = 'done'"
        )
        # the gate a top-up claims its reference at (see zm.subscriber._zm_claim_reference)
        self.env.cr.execute(
            """CREATE TABLE IF NOT EXISTS zm_order_reference (
                   company_id integer NOT NULL REFERENCES res_company (id) ON DELETE CASCADE,
                   reference varchar NOT NULL,
                   PRIMARY KEY (company_id, reference))"""
        )
        self.env.cr.execute(
            """INSERT INTO zm_order_reference (company_id, reference)
               SELECT company_id, reference FROM zm_order
                WHERE reference IS NOT NULL AND kind = 'topup' AND state = 'done'
               ON CONFLICT DO NOTHING"""
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Orders are written by the business desk only."))
        for vals in vals_list:
            if not vals.get("name"):
                vals["name"] = self.env["ir.sequence"].sudo().next_by_code("zm.order") or "/"
        return super().create(vals_list)

    def write(self, vals):
        # the audit trail: the desk (as superuser) fills it in, nobody edits it after
        if not self.env.su:
            raise AccessError(self.env._("Orders are the audit trail and cannot be changed."))
        return super().write(vals)

    def unlink(self):
        if self:
            raise UserError(self.env._("Orders are the audit trail and cannot be deleted."))
        return super().unlink()

    def action_view_charges(self):
        """Open the invoices, credit notes and payments of this order."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("zm_business.zm_charge_action")
        action["domain"] = [("zm_order_id", "=", self.id)]
        return action

    def action_reject(self, reason=None):
        """Reject the orders: reverse their charges and restore the accounts (D2).

        Latest first: a service order is rejectable only while no later service order
        of its account stands on it (reject those first), a credit order only while no
        later credit order does; money-only orders (top-up, refund) never block.
        """
        self._zm_check_auditor()
        if not isinstance(reason, str) or not reason.strip():
            raise UserError(self.env._("Give a reason for the rejection."))
        reason = check_text(self.env, reason.strip(), self.env._("The reason"), 256)
        self.check_access("read")
        # the newest first, so that a selection of an account's orders can be rejected
        for order in self.sudo().sorted(lambda o: (o.date, o.id), reverse=True):
            account = order.subscriber_id
            account._zm_lock()
            order.invalidate_recordset()
            order._zm_check_rejectable()
            account._zm_reject_order(order, reason)
        return True

    def _zm_check_rejectable(self):
        self.ensure_one()
        if self.state == "rejected":
            raise UserError(self.env._("The order %s is already rejected.", self.name))
        if self.kind not in REJECTABLE_KINDS:
            raise UserError(
                self.env._(
                    "The order %s posted no charge; undo it with the opposite action "
                    "(resume, move back).",
                    self.name,
                )
            )
        if any(self.move_ids.mapped("checked")):
            raise UserError(
                self.env._(
                    "The order %s has checked charges; checked charges are locked.", self.name
                )
            )
        if self.kind in MONEY_KINDS:
            return
        blocking = SERVICE_KINDS if self.kind in SERVICE_KINDS else ("credit",)
        later = self.search(
            [
                ("subscriber_id", "=", self.subscriber_id.id),
                ("state", "=", "done"),
                ("kind", "in", blocking),
                ("id", "!=", self.id),
                "|",
                ("date", ">", self.date),
                "&",
                ("date", "=", self.date),
                ("id", ">", self.id),
            ],
            order="date desc, id desc",
            limit=1,
        )
        if later:
            raise UserError(
                self.env._(
                    "The order %(order)s cannot be rejected while the later order %(later)s "
                    "stands on it; reject %(later)s first.",
                    order=self.name,
                    later=later.name,
                )
            )

    def _zm_check_auditor(self):
        if self.env.su:
            return
        if not (
            self.env.user.has_group("zm_broadband.group_finance")
            or self.env.user.has_group("account.group_account_manager")
        ):
            raise AccessError(self.env._("Only finance staff may audit charges."))
