import logging
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.tools import SQL

import zm_rules

from .account_move_line import aware, money, naive, quantum

_logger = logging.getLogger(__name__)

#: sale lines recognised per transaction: one journal entry and one UPDATE each
BATCH_SIZE = 5000

#: what one batch reads of each open sale line (plain SQL: the ORM is too slow at 1M)
_LINES = """
SELECT l.id, l.zm_segment_value, l.zm_earned_before, l.zm_service_value, l.zm_refunded,
       l.zm_recognised, l.zm_closed, l.zm_service_start, l.zm_service_end,
       s.state, s.paused_at
  FROM account_move_line l
  JOIN account_move m ON m.id = l.move_id
  LEFT JOIN zm_subscriber s ON s.id = m.zm_subscriber_id
 WHERE l.company_id = %(company)s AND l.zm_open_service AND l.parent_state = 'posted'
   AND (l.zm_recognised_until IS NULL OR l.zm_recognised_until < %(cut)s)
"""


class ZmRevenueRecognition(models.AbstractModel):
    """The monthly move of earned prepaid income from contract liabilities to revenue.

    Per company and in batches: each batch recognises up to ``BATCH_SIZE`` sale lines,
    posts one entry in the company's recognition journal and marks the lines
    recognised until the cut, in one transaction. A second run over the same cut
    finds nothing to do; two runs at once cannot take a line twice (an advisory lock
    per company, and the lines' UPDATE fails to serialize if another run took them).
    The cron reports its progress (Odoo's cron progress) and runs again at once while
    lines remain, so an interrupted run resumes where it stopped.
    """

    _name = "zm.revenue.recognition"
    _description = "Broadband Revenue Recognition"

    @api.model
    def _cron_recognise(self, batch_size=BATCH_SIZE):
        """Cron entry point: one batch per company that has lines left, then progress."""
        done = remaining = 0
        for company in self.env["res.company"].sudo().search([("chart_template", "!=", False)]):
            cut = self._cut(company)
            try:
                with self.env.cr.savepoint():
                    count, _move = self._recognise_batch(company, cut, batch_size)
            except Exception:  # noqa: BLE001 - one company's trouble must not stop the others
                _logger.exception("revenue recognition failed for company %s", company.name)
                continue
            done += count
            remaining += self._count_due(company, cut)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _cut(self, company):
        """The start of the current local month: income earned before it is recognised."""
        tz = company.zm_tz or zm_rules.DEFAULT_TZ
        return naive(zm_rules.natural_month_bounds(aware(fields.Datetime.now()), tz).start)

    @api.model
    def _count_due(self, company, cut):
        self.env["account.move.line"].flush_model()
        return self.env.execute_query(
            SQL(f"SELECT count(*) FROM ({_LINES}) due", company=company.id, cut=cut)  # noqa: S608
        )[0][0]

    @api.model
    def _recognise(self, company, cut, batch_size=BATCH_SIZE):
        """Recognise everything earned by ``cut`` in ``company``, batch after batch, in
        this transaction (for callers that are not the cron); return the entries."""
        moves = self.env["account.move"]
        while True:
            count, move = self._recognise_batch(company, cut, batch_size)
            moves |= move
            if count < batch_size:
                return moves

    @api.model
    def _recognise_batch(self, company, cut, batch_size=BATCH_SIZE):
        """Recognise one batch of ``company``'s lines; return ``(lines seen, entry)``."""
        env = self.env
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", 0x7A6D5245, company.id))
        if not self.env.cr.fetchone()[0]:
            return 0, env["account.move"]  # another run is on this company now
        env["account.move.line"].flush_model()
        env["account.move"].flush_model()
        env["zm.subscriber"].flush_model()
        rows = env.execute_query(
            SQL(
                f"{_LINES} ORDER BY l.id LIMIT %(limit)s",  # noqa: S608
                company=company.id,
                cut=cut,
                limit=batch_size,
            )
        )
        if not rows:
            return 0, env["account.move"]
        currency = company.currency_id
        dues = [(row[0], self._due(row, cut, currency)) for row in rows]
        # the lines first: if another run took them meanwhile, this fails to serialize
        # before anything is posted
        env.cr.execute(
            SQL(
                """UPDATE account_move_line l
                      SET zm_recognised = COALESCE(l.zm_recognised, 0) + v.due,
                          zm_recognised_until = %s,
                          zm_open_service = ROUND((COALESCE(l.zm_recognised, 0) + v.due
                                                   + COALESCE(l.zm_refunded, 0)
                                                   - l.zm_service_value)::numeric, %s) < 0
                     FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::numeric[]) AS due) v
                    WHERE l.id = v.id""",
                cut,
                currency.decimal_places,
                [line_id for line_id, __ in dues],
                [str(due) for __, due in dues],
            )
        )
        env["account.move.line"].invalidate_model(
            ["zm_recognised", "zm_recognised_until", "zm_open_service"]
        )
        total = sum((due for __, due in dues), Decimal(0))
        move = self._post_entry(company, cut, total) if total > 0 else env["account.move"]
        return len(rows), move

    @api.model
    def _due(self, row, cut, currency):
        """What one sale line earned by ``cut`` and was not recognised yet."""
        (
            __,
            segment,
            earned_before,
            value,
            refunded,
            recognised,
            closed,
            start,
            end,
            state,
            paused_at,
        ) = row
        q = quantum(currency)
        if closed:
            earned = money(value or 0, currency) - money(refunded or 0, currency)
        else:
            at = min(cut, paused_at) if state == "paused" and paused_at else cut
            segment = money(segment or 0, currency)
            unused = segment
            if start:
                unused = zm_rules.unused_value(
                    segment, aware(start), aware(end), aware(at), quantum=q
                )
            earned = money(earned_before or 0, currency) + segment - unused
        return max(earned - money(recognised or 0, currency), Decimal(0))

    @api.model
    def _post_entry(self, company, cut, total):
        """Post one entry moving ``total`` from contract liabilities to revenue."""
        liability, revenue, journal = company._zm_business_setup()
        # dated on the last local day the income was earned in, or the first open day
        tz = ZoneInfo(company.zm_tz or zm_rules.DEFAULT_TZ)
        entry_date = (aware(cut) - timedelta(microseconds=1)).astimezone(tz).date()
        violated = company._get_violated_lock_dates(entry_date, False, journal)
        if violated:
            entry_date = max(lock for lock, __ in violated) + timedelta(days=1)
        label = self.env._("Earned prepaid income")
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .with_context(tracking_disable=True)
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
                            {"name": label, "account_id": liability.id, "debit": float(total)}
                        ),
                        fields.Command.create(
                            {"name": label, "account_id": revenue.id, "credit": float(total)}
                        ),
                    ],
                }
            )
        )
        move.action_post()
        return move
