from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools.expiry import DEFAULT_EXPIRING_DAYS, EXPIRY_STATES, STORED_STATES, expiry_state_sql


class ZmStatusMixin(models.AbstractModel):
    """The derived status of a broadband account (DESIGN §3), computed, searched and
    grouped by the one SQL expression of ``tools/expiry.py``.

    The inheriting model has ``state``, ``expiry_at`` and ``company_id`` columns and
    the table ``zm_subscriber``'s shape.
    """

    _name = "zm.status.mixin"
    _description = "Broadband Account Status"

    expiry_state = fields.Selection(
        EXPIRY_STATES,
        string="Status",
        compute="_compute_expiry_state",
        search="_search_expiry_state",
        help="Derived from the state, the expiry date and the company's expiring window.",
    )

    # ------------------------------------------------------------------
    # Derived status
    # ------------------------------------------------------------------

    @api.depends("state", "expiry_at", "company_id.zm_expiring_days")
    def _compute_expiry_state(self):
        saved = self.filtered("id")
        if saved:
            self.flush_recordset(["state", "expiry_at", "company_id"])
            self.env["res.company"].flush_model(["zm_expiring_days"])
            rows = self.env.execute_query(
                SQL(
                    "SELECT s.id, %s FROM %s s WHERE s.id IN %s",
                    expiry_state_sql("s"),
                    SQL.identifier(self._table),
                    tuple(saved.ids),
                )
            )
            states = dict(rows)
            for subscriber in saved:
                subscriber.expiry_state = states.get(subscriber.id, False)
        for subscriber in self - saved:
            subscriber.expiry_state = subscriber._expiry_state_python()

    def _expiry_state_python(self):
        # only for unsaved records in forms; saved ones use the SQL expression
        if self.state in STORED_STATES:
            return self.state
        if not self.expiry_at:
            return "normal"
        now = fields.Datetime.now()
        if self.expiry_at <= now:
            return "expired"
        days = self.company_id.zm_expiring_days
        return "expiring" if (self.expiry_at - now).total_seconds() <= days * 86400 else "normal"

    def _search_expiry_state(self, operator, value):
        if operator in ("=", "!="):
            values = [value]
        elif operator in ("in", "not in"):
            values = list(value)
        else:
            raise ValidationError(self.env._("Unsupported search on the status: %s", operator))
        if operator in ("!=", "not in"):
            # the status is never empty, so a negation is the other statuses
            values = [status for status, __ in EXPIRY_STATES if status not in values]
        # in display order; an unknown status matches nothing
        values = [status for status, __ in EXPIRY_STATES if status in values]
        clock = self._expiry_state_clock() if set(values) - set(STORED_STATES) else None
        domains = [self._expiry_state_domain(status, clock) for status in values]
        return expression.OR(domains or [expression.FALSE_DOMAIN])

    def _expiry_state_domain(self, status, clock):
        """Plain conditions on state / expiry_at / company_id equal to ``expiry_state_sql``.

        The CASE expression cannot use an index; these ranges can. ``now`` is the
        database's transaction clock, the one the CASE expression reads, so search and
        group-by agree; each company's window gives one branch per distinct length.
        """
        if status in STORED_STATES:
            return [("state", "=", status)]
        now, windows = clock
        if status == "expired":
            return [("state", "=", "active"), ("expiry_at", "<=", now)]
        if status == "expiring":
            branches = [
                [("company_id", "in", ids), ("expiry_at", "<=", now + timedelta(days=days))]
                for days, ids in windows
            ]
            return expression.AND(
                [[("state", "=", "active"), ("expiry_at", ">", now)], expression.OR(branches)]
            )
        branches = [
            [("company_id", "in", ids), ("expiry_at", ">", max(now, now + timedelta(days=days)))]
            for days, ids in windows
        ]
        return expression.AND(
            [
                [("state", "=", "active")],
                expression.OR([[("expiry_at", "=", False)], *branches]),
            ]
        )

    def _expiry_state_clock(self):
        """Return the database's ``now`` (UTC) and ``[(window days, company ids)]``."""
        self.env["res.company"].flush_model(["zm_expiring_days"])
        rows = self.env.execute_query(
            SQL(
                """SELECT now() AT TIME ZONE 'UTC', COALESCE(zm_expiring_days, %s), array_agg(id)
                     FROM res_company GROUP BY 2 ORDER BY 2""",
                DEFAULT_EXPIRING_DAYS,
            )
        )
        return rows[0][0], [(days, ids) for __, days, ids in rows]

    def _read_group_groupby(self, groupby_spec, query):
        if groupby_spec != "expiry_state":
            return super()._read_group_groupby(groupby_spec, query)
        self.check_field_access_rights("read", ["expiry_state"])
        self.flush_model(["state", "expiry_at", "company_id"])
        self.env["res.company"].flush_model(["zm_expiring_days"])
        return expiry_state_sql(query.table)

    def _read_group_orderby(self, order, groupby_terms, query):
        if "expiry_state" in groupby_terms:
            # groups follow the selection (normal before expiring before expired),
            # not the alphabet
            groupby_terms = dict(groupby_terms)
            groupby_terms["expiry_state"] = SQL(
                "array_position(%s, %s::text)",
                [value for value, __ in EXPIRY_STATES],
                groupby_terms["expiry_state"],
            )
        return super()._read_group_orderby(order, groupby_terms, query)
