import logging
import math
from datetime import timedelta
from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL

from .zm_sms_message import epoch

_logger = logging.getLogger(__name__)

#: an account that expired longer ago than this gets no "expired" SMS (a new provider
#: or template never messages every account that expired in the past)
EXPIRED_LOOKBACK_DAYS = 3
#: accounts read per transaction by the reminder job
REMINDER_BATCH = 2000
#: order items that send an SMS, and which
ORDER_PURPOSES = {"open": "opened", "renew": "renewed", "buy_package": "renewed"}


class ZmSubscriber(models.Model):
    _inherit = "zm.subscriber"

    zm_sms_message_ids = fields.One2many(
        "zm.sms.message", "subscriber_id", string="SMS", readonly=True
    )
    zm_sms_count = fields.Integer(string="SMS Sent", compute="_compute_zm_sms_count")

    def _compute_zm_sms_count(self):
        counts = dict(
            self.env["zm.sms.message"]._read_group(
                [("subscriber_id", "in", self.ids)], ["subscriber_id"], ["__count"]
            )
        )
        for subscriber in self:
            subscriber.zm_sms_count = counts.get(subscriber, 0)

    def action_view_zm_sms(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("zm_sms.zm_sms_message_action")
        action["domain"] = [("subscriber_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Values of the templates
    # ------------------------------------------------------------------

    def _zm_sms_values(self, now=None):
        self.ensure_one()
        values = {
            "account": self.name,
            "package": self.package_id.name or "-",
            "expiry": self._zm_local_text(self.expiry_at) if self.expiry_at else "-",
        }
        if self.expiry_at and now:
            values["days"] = max(0, math.ceil((self.expiry_at - now).total_seconds() / 86400))
        return values

    def _zm_sms_item(self, event_key, now=None):
        return {
            "event_key": event_key,
            "phone": self.phone,
            "values": self._zm_sms_values(now),
            "subscriber_id": self.id,
            "area_id": self.area_id.id,
            "partner_id": self.partner_id.id,
        }

    def _zm_sms_allowed(self):
        """Reminders are on for this account's package and area (and every parent area)."""
        self.ensure_one()
        if self.package_id and not self.package_id.zm_sms_reminders:
            return False
        area = self.area_id
        while area:
            if not area.zm_sms_reminders:
                return False
            area = area.parent_id
        return bool(self.phone)

    # ------------------------------------------------------------------
    # Desk events: opened, renewed
    # ------------------------------------------------------------------

    def _zm_done(self, order):
        order = super()._zm_done(order)
        purpose = ORDER_PURPOSES.get(order.kind)
        if purpose and order.state == "done":
            account = self.sudo()
            try:
                # an SMS never stands in the way of the desk's transaction
                with self.env.cr.savepoint():
                    if account._zm_sms_allowed():
                        self.env["zm.sms.message"].sudo()._zm_queue(
                            account.company_id,
                            purpose,
                            [account._zm_sms_item(f"{purpose}:{order.id}", fields.Datetime.now())],
                        )
            except Exception:
                _logger.exception("SMS for order %s not queued", order.id)
        return order

    # ------------------------------------------------------------------
    # Expiry reminders
    # ------------------------------------------------------------------

    @api.model
    def _cron_sms_reminders(self, commit=True):
        """Queue the 'about to expire' and 'expired' SMS that are due, in batches.

        Each (account, expiry instant) gets each reminder once: renewed, the account's
        next expiry is a new event. A second run, or two at once, queues nothing twice
        (the log's unique event key).
        """
        now = fields.Datetime.now()
        queued = 0
        templates = self.env["zm.sms.template"]
        Message = self.env["zm.sms.message"].sudo()
        for company in self.env["res.company"].sudo().search([]):
            jobs = [
                (
                    "expiring",
                    now,
                    now + timedelta(days=company.zm_sms_expiring_days),
                ),
                ("expired", now - timedelta(days=EXPIRED_LOOKBACK_DAYS), now),
            ]
            for purpose, after, until in jobs:
                if not templates._zm_find(company, purpose):
                    continue
                last_id = 0
                while True:
                    work = partial(
                        self._zm_sms_queue_batch, company, purpose, after, until, last_id, now
                    )
                    batch = Message._zm_retrying(work, commit)
                    if batch is None:
                        break
                    if batch == "busy":
                        # another run is queueing these right now; it finishes them
                        _logger.info("SMS reminders (%s) being queued by another run", purpose)
                        break
                    last_id, count = batch
                    queued += count
                    if commit:
                        self.env["ir.cron"]._notify_progress(done=queued, remaining=0)
                    self.env.invalidate_all()
        if queued:
            _logger.info("SMS reminders: %s queued", queued)
        return queued

    @api.model
    def _zm_sms_job_lock(self, company, purpose):
        """Whether this transaction may queue ``purpose`` for ``company`` (a lock freed
        at its commit): two runs at once then never queue the same batch in lockstep,
        each waiting for the other's rows and starting again; the one without the lock
        leaves the rest to the one with it."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext('zm_sms_reminders'), hashtext(%s))",
            [f"{company.id}:{purpose}"],
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _zm_sms_queue_batch(self, company, purpose, after, until, last_id, now):
        """Queue one batch: (last id read, messages queued), None when none is left, or
        "busy" when another run holds the company's and purpose's lock."""
        if not self._zm_sms_job_lock(company, purpose):
            return "busy"
        ids = self._zm_sms_due(company, purpose, after, until, last_id)
        if not ids:
            return None
        items = [
            account._zm_sms_item(f"{purpose}:{account.id}:{epoch(account.expiry_at)}", now)
            for account in self.sudo().browse(ids)
        ]
        messages = self.env["zm.sms.message"].sudo()._zm_queue(company, purpose, items)
        return ids[-1], len(messages)

    @api.model
    def _zm_sms_due(self, company, purpose, after, until, last_id):
        """Ids of the accounts of ``company`` whose ``purpose`` reminder is due and not
        yet in the log (expiry in ``(after, until]``), after ``last_id``."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT s.id
                  FROM zm_subscriber s
                  JOIN zm_area a ON a.id = s.area_id
             LEFT JOIN zm_package p ON p.id = s.package_id
                 WHERE s.company_id = %(company)s
                   AND s.id > %(last_id)s
                   AND s.state = 'active'
                   AND s.expiry_at > %(after)s AND s.expiry_at <= %(until)s
                   AND COALESCE(s.phone, '') <> ''
                   AND COALESCE(p.zm_sms_reminders, TRUE)
                   AND NOT EXISTS (
                        SELECT 1 FROM zm_area off
                         WHERE off.zm_sms_reminders IS FALSE
                           AND a.parent_path LIKE off.parent_path || %(any)s)
                   AND NOT EXISTS (
                        SELECT 1 FROM zm_sms_message m
                         WHERE m.event_key = %(purpose)s || ':' || s.id || ':'
                               || floor(extract(epoch FROM s.expiry_at))::bigint)
              ORDER BY s.id
                 LIMIT %(limit)s
                """,
                company=company.id,
                last_id=last_id,
                after=after,
                until=until,
                purpose=purpose,
                limit=REMINDER_BATCH,
                any="%",
            )
        )
        return [row[0] for row in rows]
