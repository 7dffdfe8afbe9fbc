from odoo import api, fields, models
from odoo.addons.zm_broadband.tools.bounds import check_text
from odoo.exceptions import ValidationError

#: what the NAS allocates from the pool, and the attribute naming it in Access-Accept
POOL_FAMILIES = [
    ("ipv4", "IPv4 addresses (Framed-Pool)"),
    ("ipv6", "IPv6 addresses (Framed-IPv6-Pool)"),
    ("ipv6_prefix", "IPv6 delegated prefixes (Delegated-IPv6-Prefix-Pool)"),
]

POOL_KINDS = [
    ("normal", "Normal"),
    ("expiring", "About to expire"),
    ("expired", "Expired / in arrears"),
]


class ZmIpPool(models.Model):
    """An address pool defined on the NAS, named in Access-Accept (B1).

    The NAS allocates the addresses; the bridge only names the pool: the normal one while
    an account is in good standing, the "about to expire" one in its last days (so the
    NAS can show a reminder page) and the expired one when it has run out or is in
    arrears (so the NAS can redirect to a renewal page; without one, such an account is
    rejected). A pool applies to its packages and areas (a parent area includes its
    children); the most specific pool wins: package over area, a deeper area over a
    shallower one, then the sequence.
    """

    _name = "zm.ip.pool"
    _description = "Broadband IP Pool"
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(
        string="Pool Name", required=True, help="The pool's name as configured on the NAS."
    )
    kind = fields.Selection(POOL_KINDS, required=True, default="normal")
    family = fields.Selection(POOL_FAMILIES, required=True, default="ipv4")
    sequence = fields.Integer(default=10)
    package_ids = fields.Many2many(
        "zm.package",
        "zm_ip_pool_zm_package_rel",
        "zm_ip_pool_id",
        "zm_package_id",
        string="Packages",
        check_company=True,
        help="Only accounts of these packages; empty means every package.",
    )
    area_ids = fields.Many2many(
        "zm.area",
        "zm_area_zm_ip_pool_rel",
        "zm_ip_pool_id",
        "zm_area_id",
        string="Areas",
        check_company=True,
        help="Only accounts of these areas and their sub-areas; empty means every area.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    note = fields.Text()

    @api.constrains("name")
    def _check_name(self):
        for pool in self:
            check_text(self.env, pool.name, self.env._("The pool name"), 64)
            if " " in pool.name.strip():
                raise ValidationError(self.env._("A pool name has no spaces (NAS names)."))
