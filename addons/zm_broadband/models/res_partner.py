from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.fields import guarded_fields


class ResPartner(models.Model):
    _inherit = "res.partner"

    zm_customer_id = fields.Many2one(
        "res.partner",
        string="Broadband Customer",
        index="btree_not_null",
        ondelete="restrict",
        help="For a broadband account's billing partner: the customer who owns the account.",
    )
    zm_area_id = fields.Many2one(
        "zm.area",
        string="Broadband Area",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="For a broadband account's billing partner: the account's area. Operators "
        "see the billing partners of their areas only.",
    )
    zm_account_partner_ids = fields.One2many(
        "res.partner", "zm_customer_id", string="Broadband Billing Partners"
    )
    zm_subscriber_ids = fields.One2many("zm.subscriber", "customer_id", string="Broadband Accounts")
    zm_subscriber_count = fields.Integer(
        string="Broadband Account Count", compute="_compute_zm_subscriber_count"
    )

    # ------------------------------------------------------------------
    # A billing partner belongs to its account (DESIGN §4)
    # ------------------------------------------------------------------

    def _zm_billing(self):
        """The billing partners of broadband accounts among these partners."""
        return self.sudo().filtered("zm_area_id")

    def _zm_refuse(self):
        raise AccessError(
            self.env._(
                "A broadband account's billing partner holds that account's balance: it "
                "changes with its account only (parent, accounting, merges included)."
            )
        )

    def _zm_check_parent(self, vals):
        # a contact under a billing partner would book on that account's receivable
        parent = vals.get("parent_id")
        if parent and self.browse(parent)._zm_billing():
            self._zm_refuse()

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._zm_check_parent(vals)
                if vals.get("zm_area_id"):
                    self._zm_refuse()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._zm_check_parent(vals)
            guarded = guarded_fields(vals)  # messages and activities: anyone
            if guarded and (self._zm_billing() or "zm_area_id" in vals):
                self._zm_refuse()
        return super().write(vals)

    def unlink(self):
        if not self.env.su and self._zm_billing():
            self._zm_refuse()
        return super().unlink()

    # ------------------------------------------------------------------

    @api.depends("zm_subscriber_ids")
    def _compute_zm_subscriber_count(self):
        if not self.env["zm.subscriber"].has_access("read"):
            self.zm_subscriber_count = 0
            return
        counts = dict(
            self.env["zm.subscriber"]._read_group(
                [("customer_id", "in", self.ids)], ["customer_id"], ["__count"]
            )
        )
        for partner in self:
            partner.zm_subscriber_count = counts.get(partner, 0)

    def action_view_zm_subscribers(self):
        """Open the broadband accounts owned by this customer."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("zm_broadband.zm_subscriber_action")
        action["domain"] = [("customer_id", "=", self.id)]
        action["context"] = {"default_customer_id": self.id}
        return action
