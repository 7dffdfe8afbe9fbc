import io
import json
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta
from functools import partial

import phonenumbers
import psycopg2.errors
import requests
import xlsxwriter
from odoo import api, fields, models
from odoo.addons.zm_broadband.tools.secrets import no_query_log
from odoo.exceptions import AccessError, UserError
from odoo.models import fix_import_export_id_paths
from odoo.tools import SQL

from ..tools import sms_providers
from .zm_sms_template import PURPOSES

_logger = logging.getLogger(__name__)

MESSAGE_STATES = [
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("uncertain", "Checking with provider"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("undelivered", "Not delivered"),
    ("failed", "Failed"),
    ("skipped", "Not sent"),
]
#: final states: nothing is sent again for them
FINAL_STATES = ("sent", "delivered", "undelivered", "failed", "skipped")
#: waits before the 2nd, 3rd, … attempt after a failure that certainly sent nothing
BACKOFF_MINUTES = (1, 5, 15, 60)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
#: an answer that never came: ask the provider's status list after this long
RECONCILE_MINUTES = 10
#: a claim older than this whose sender vanished (crash, killed worker) is asked about
STALE_SENDING_MINUTES = 15
#: after this long without the provider saying yes or no, give up (never resend blindly)
UNCERTAIN_GIVE_UP_HOURS = 24
#: unanswered requests asked about per transaction, and seconds spent asking per run
RECONCILE_BATCH = 20
RECONCILE_BUDGET_SECONDS = 60
#: seconds one status question may wait
QUESTION_TIMEOUT = 5
#: how far the providers' clocks may be from ours (Tencent accepts 5 minutes)
STATUS_MARGIN_MINUTES = 15
#: concurrent requests when no provider says
SEND_THREADS = 8
#: messages claimed per transaction
SEND_BATCH = 400
#: SMS one number gets in 24 hours at most (codes apart): a runaway job or a flood of
#: Odoo SMS never texts one person all day, nor bills it
PER_NUMBER_PER_DAY = 10
#: tries of a batch that a concurrent job made stale
RETRIES = 5
#: values never shown in the log
MASKED = ("code",)


def normalize_phone(number, company=None, foreign=None):
    """The E.164 form of a mobile number (China by default), or None.

    Numbers outside mainland China are refused unless the company allows them
    (``zm_sms_foreign_numbers``; ``foreign=True`` accepts them anyway): an SMS abroad
    costs several times more and is the first thing SMS-pumping fraud goes for.
    """
    text = (number or "").strip()
    if not text or len(text) > 32 or not text.isprintable():
        return None
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    if foreign is None:
        foreign = bool(company and company.zm_sms_foreign_numbers)
    if not foreign and phonenumbers.region_code_for_number(parsed) != "CN":
        return None
    kind = phonenumbers.number_type(parsed)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class ZmSmsMessage(models.Model):
    """The SMS log (F2): one row per message, from queueing to the delivery receipt.

    A reminder's ``event_key`` is unique: the same event (this account, this expiry)
    is queued once, whatever runs at the same moment. Sending claims a row under lock
    and commits the claim before the provider is called, so two senders never send the
    same row; an answer that never came is checked in the provider's own status list
    before anything is sent again.
    """

    _name = "zm.sms.message"
    _description = "SMS Log"
    _order = "id desc"
    _rec_name = "phone"

    create_date = fields.Datetime(string="Queued at", readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    subscriber_id = fields.Many2one(
        "zm.subscriber", string="Account", index="btree_not_null", readonly=True
    )
    area_id = fields.Many2one("zm.area", index="btree_not_null", readonly=True)
    phone = fields.Char(required=True, readonly=True, index=True)
    purpose = fields.Selection(PURPOSES, required=True, readonly=True, index=True)
    event_key = fields.Char(readonly=True, copy=False)
    provider_id = fields.Many2one("zm.sms.provider", readonly=True, index=True)
    template_id = fields.Many2one("zm.sms.template", readonly=True)
    template_code = fields.Char(string="Template ID", readonly=True)
    params = fields.Json(string="Variables", readonly=True)
    send_params = fields.Json(readonly=True, groups="base.group_system", copy=False)
    body = fields.Text(string="Text", readonly=True)
    state = fields.Selection(
        MESSAGE_STATES, required=True, default="queued", readonly=True, index=True
    )
    attempts = fields.Integer(readonly=True)
    next_try_at = fields.Datetime(string="Next Try", readonly=True)
    last_try_at = fields.Datetime(string="Last Try", readonly=True)
    sent_at = fields.Datetime(readonly=True)
    delivered_at = fields.Datetime(readonly=True)
    provider_ref = fields.Char(string="Provider Reference", readonly=True, index="btree_not_null")
    error_code = fields.Char(string="Result Code", readonly=True)
    error_message = fields.Char(string="Result", readonly=True)
    receipt_code = fields.Char(string="Receipt Status", readonly=True)
    fee = fields.Integer(string="Segments", readonly=True)
    cost = fields.Monetary(readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    sms_uuid = fields.Char(string="SMS UUID", readonly=True, index="btree_not_null")

    def init(self):
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS zm_sms_message_event_key_uniq "
            "ON zm_sms_message (event_key) WHERE event_key IS NOT NULL"
        )
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS zm_sms_message_due_idx ON zm_sms_message "
            "(next_try_at, id) WHERE state IN ('queued', 'sending', 'uncertain')"
        )

    # ------------------------------------------------------------------
    # The log is written by the sender only
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("The SMS log is written by the system only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise AccessError(self.env._("The SMS log cannot be changed."))
        return super().write(vals)

    def unlink(self):
        if self and not self.env.su:
            raise AccessError(self.env._("The SMS log cannot be deleted."))
        return super().unlink()

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    def _zm_queue(self, company, purpose, items):
        """Queue one message per item, at most once per ``event_key``.

        ``items``: dicts with ``event_key``, ``phone`` (as typed), ``values`` (the
        template's variables) and optionally ``subscriber_id``, ``area_id``,
        ``partner_id``. Returns the new messages; items whose key is already in the log
        (queued by another run, or sent) are left out. Nothing is queued when the
        company has no active provider with an active template for ``purpose``.
        """
        template = self.env["zm.sms.template"]._zm_find(company, purpose)
        if not template or not items:
            return self.browse()
        provider = template.provider_id
        not_before = None
        if purpose != "verification":
            not_before = company._zm_sms_quiet_until(fields.Datetime.now())
        names = set(template._zm_param_names())
        rows = []
        for item in items:
            phone = normalize_phone(item.get("phone"), company)
            params, text = template._zm_render(item["values"])
            shown = {name: str(value) for name, value in item["values"].items() if name in names}
            shown_text = text
            if names.intersection(MASKED):
                shown.update({name: "******" for name in MASKED if name in shown})
                __, shown_text = template._zm_render(shown)
            rows.append(
                (
                    company.id,
                    item.get("subscriber_id"),
                    item.get("area_id"),
                    phone or (item.get("phone") or "")[:32] or "-",
                    purpose,
                    item.get("event_key"),
                    provider.id,
                    template.id,
                    template.template_code,
                    _json(shown),
                    _json(params),
                    shown_text,
                    "queued" if phone else "skipped",
                    not_before if phone else None,
                    None if phone else "invalid_number",
                    None
                    if phone
                    else self.env._(
                        "Not a valid mobile number (mainland China, "
                        "unless the company allows others)."
                    ),
                    sms_providers.segments(text),
                )
            )
        self.env.flush_all()
        # unlogged: a verification code is among the values, and a concurrent job's
        # serialization failure (retried) is no error
        with no_query_log():
            self.env.cr.execute(
                SQL(
                    """
                INSERT INTO zm_sms_message (
                    company_id, subscriber_id, area_id, phone, purpose, event_key,
                    provider_id, template_id, template_code, params, send_params, body,
                    state, next_try_at, error_code, error_message, fee, attempts,
                    create_uid, write_uid, create_date, write_date)
                SELECT r.c1, r.c2, r.c3, r.c4, r.c5, r.c6, r.c7, r.c8, r.c9, r.c10::jsonb,
                       r.c11::jsonb, r.c12, r.c13, r.c14, r.c15, r.c16, r.c17, 0,
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM unnest(%(c1)s::int[], %(c2)s::int[], %(c3)s::int[], %(c4)s::varchar[],
                              %(c5)s::varchar[], %(c6)s::varchar[], %(c7)s::int[], %(c8)s::int[],
                              %(c9)s::varchar[], %(c10)s::text[], %(c11)s::text[], %(c12)s::text[],
                              %(c13)s::varchar[], %(c14)s::timestamp[], %(c15)s::varchar[],
                              %(c16)s::varchar[], %(c17)s::int[])
                       AS r(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15,
                            c16, c17)
                ON CONFLICT (event_key) WHERE event_key IS NOT NULL DO NOTHING
                RETURNING id, event_key
                """,
                    uid=self.env.uid,
                    **{f"c{i + 1}": [row[i] for row in rows] for i in range(17)},
                ),
                log_exceptions=False,
            )
        inserted = self.env.cr.fetchall()
        messages = self.browse([row[0] for row in inserted])
        extra_by_key = {item.get("event_key"): item for item in items}
        self._zm_link_sms(messages, extra_by_key)
        if any(row[12] == "queued" for row in rows):
            self.env.ref("zm_sms.ir_cron_zm_sms_send").sudo()._trigger()
        return messages

    def _zm_link_sms(self, messages, extra_by_key):
        """Odoo's own SMS record for each queued message (Odoo's SMS list and statuses):
        the one given (an SMS Odoo wrote), else a new one."""
        queued = messages.sudo().filtered(lambda m: m.state == "queued")
        given = self.env["sms.sms"].sudo()
        new_vals = []
        for message in messages.sudo() - queued:
            # not sent (no valid number): an SMS Odoo wrote says so and leaves the queue
            extra = extra_by_key.get(message.event_key) or {}
            if extra.get("sms_id"):
                given.browse(extra["sms_id"]).write(
                    {"zm_message_id": message.id, "state": "error",
                     "failure_type": "sms_number_format"}
                )  # fmt: skip
        for message in queued:
            extra = extra_by_key.get(message.event_key) or {}
            if extra.get("sms_id"):
                sms = given.browse(extra["sms_id"])
                sms.write({"zm_message_id": message.id, "number": message.phone})
                given |= sms
            else:
                new_vals.append(
                    {
                        "number": message.phone,
                        "body": message.body,
                        "partner_id": extra.get("partner_id"),
                        "zm_message_id": message.id,
                        "state": "outgoing",
                    }
                )
        sms = given | self.env["sms.sms"].sudo().create(new_vals)
        if sms:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    "UPDATE zm_sms_message m SET sms_uuid = s.uuid FROM sms_sms s "
                    "WHERE s.zm_message_id = m.id AND s.id = ANY(%s)",
                    sms.ids,
                )
            )
            queued.invalidate_recordset(["sms_uuid"])

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @api.model
    def _cron_send(self, commit=True, limit=None):
        """Send what is due, ask the providers about unanswered requests; in batches,
        each claimed and committed before any provider is called."""
        if self._zm_neutralized():
            _logger.warning("SMS: this database is neutralised; nothing is sent")
            return 0
        done = 0
        while limit is None or done < limit:
            batch = self._zm_retrying(partial(self._zm_claim, SEND_BATCH), commit)
            if not batch:
                break
            outcomes = batch._zm_call()
            self._zm_retrying(partial(batch._zm_store, outcomes), commit)
            done += len(batch)
            if commit:
                remaining = self._zm_due_count()
                self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
                self.env.cr.commit()  # pylint: disable=invalid-commit
        # after the due messages (a slow status list never holds a new one up), within a
        # time budget; each question claimed and committed before it is asked
        deadline = time.monotonic() + RECONCILE_BUDGET_SECONDS
        while time.monotonic() < deadline:
            asked = self._zm_retrying(partial(self._zm_claim_unanswered, RECONCILE_BATCH), commit)
            if not asked:
                break
            answers = asked._zm_ask(deadline)
            self._zm_retrying(partial(asked._zm_store_answers, answers), commit)
        return done

    @api.model
    def _zm_retrying(self, work, commit):
        """Run ``work`` in a transaction of its own and commit it, again on a fresh
        snapshot when a concurrent job got there first (``commit``: the cron's own
        transactions; without it, in the caller's transaction as it is)."""
        if not commit:
            return work()
        for attempt in range(1, RETRIES + 1):
            self.env.cr.commit()  # pylint: disable=invalid-commit
            try:
                result = work()
                self.env.flush_all()
                self.env.cr.commit()  # pylint: disable=invalid-commit
                return result
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
                self.env.cr.rollback()
                self.env.invalidate_all()
                if attempt == RETRIES:
                    raise
                time.sleep(random.uniform(0.05, 0.3) * attempt)
        return None

    @api.model
    def _zm_neutralized(self):
        return bool(self.env["ir.config_parameter"].sudo().get_param("database.is_neutralized"))

    @api.model
    def _zm_quiet_companies(self):
        now = fields.Datetime.now()
        companies = self.env["res.company"].sudo().search([])
        return [company.id for company in companies if company._zm_sms_quiet_until(now)]

    @api.model
    def _zm_due_count(self):
        return self.env.execute_query(
            SQL(
                "SELECT count(*) FROM zm_sms_message WHERE state = 'queued' AND "
                "(next_try_at IS NULL OR next_try_at <= %s)",
                fields.Datetime.now(),
            )
        )[0][0]

    @api.model
    def _zm_claim(self, limit):
        """Claim up to ``limit`` due messages: locked (others skip them), marked sending."""
        self.env.flush_all()
        now = fields.Datetime.now()
        quiet = self._zm_quiet_companies()
        self.env.cr.execute(
            SQL(
                """
                UPDATE zm_sms_message m
                   SET state = 'sending', attempts = m.attempts + 1,
                       last_try_at = %(now)s, write_date = %(now)s
                  FROM (SELECT id FROM zm_sms_message
                         WHERE state = 'queued'
                           AND (next_try_at IS NULL OR next_try_at <= %(now)s)
                           AND (purpose = 'verification' OR NOT company_id = ANY(%(quiet)s))
                         ORDER BY purpose = 'verification' DESC, next_try_at NULLS FIRST, id
                         LIMIT %(limit)s
                           FOR UPDATE SKIP LOCKED) due
                 WHERE m.id = due.id
             RETURNING m.id
                """,
                now=now,
                quiet=quiet,
                limit=limit,
            ),
            log_exceptions=False,
        )
        rows = self.env.cr.fetchall()
        messages = self.sudo().browse(sorted(row[0] for row in rows))
        messages.invalidate_recordset()
        return messages._zm_still_due()._zm_within_cap()

    def _zm_within_cap(self):
        """The messages whose number has not had its day's share (``PER_NUMBER_PER_DAY``
        in 24 hours, verification codes not counted); the others are not sent."""
        numbers = list(set(self.filtered(lambda m: m.purpose != "verification").mapped("phone")))
        if not numbers:
            return self
        since = fields.Datetime.now() - timedelta(days=1)
        counts = dict(
            self.env.execute_query(
                SQL(
                    "SELECT phone, count(*) FROM zm_sms_message WHERE phone = ANY(%s) "
                    "AND purpose <> 'verification' AND state IN ('sent', 'delivered', "
                    "'undelivered', 'uncertain') AND last_try_at >= %s GROUP BY phone",
                    numbers,
                    since,
                )
            )
        )
        keep = self.browse()
        for message in self:
            if message.purpose == "verification":
                keep |= message
                continue
            counts[message.phone] = counts.get(message.phone, 0) + 1
            if counts[message.phone] <= PER_NUMBER_PER_DAY:
                keep |= message
                continue
            message.write(
                {
                    "state": "skipped",
                    "error_code": "number_cap",
                    "error_message": self.env._(
                        "Not sent: this number already had %s SMS in 24 hours.",
                        PER_NUMBER_PER_DAY,
                    ),
                    "next_try_at": False,
                }
            )
            message._zm_update_sms()
        return keep

    def _zm_still_due(self):
        """The claimed messages whose event still holds; the others are not sent.

        Between queueing and sending an account may be renewed, paused, moved to an
        area without reminders, or get another phone number: an expiry reminder is sent
        only for the expiry it was queued for, and every account's message goes to the
        account's number of now.
        """
        keep = self.browse()
        for message in self:
            account = message.subscriber_id
            reason = None
            if account:
                phone = normalize_phone(account.phone, account.company_id)
                if message.purpose in ("expiring", "expired"):
                    expiry = account.expiry_at and epoch(account.expiry_at)
                    if (
                        account.state != "active"
                        or not message.event_key
                        or not message.event_key.endswith(f":{expiry}")
                        or not account._zm_sms_allowed()
                    ):
                        reason = "event_changed"
                if not reason and not phone:
                    reason = "no_number"
                if not reason and phone != message.phone:
                    message.write({"phone": phone})
                    self.env["sms.sms"].search([("zm_message_id", "=", message.id)]).write(
                        {"number": phone}
                    )
            if reason:
                message.write(
                    {
                        "state": "skipped",
                        "error_code": reason,
                        "error_message": self.env._(
                            "Not sent: the account changed since it was queued."
                        ),
                        "next_try_at": False,
                    }
                )
                message._zm_update_sms()
            else:
                keep |= message
        return keep

    def _zm_deliver(self):
        """Call the providers for these claimed messages and record each outcome."""
        self._zm_store(self._zm_call())

    def _zm_call(self):
        """Call the providers for these claimed messages: {message id: outcome}. No
        database work happens in the sending threads."""
        jobs = []
        for provider, messages in self.grouped("provider_id").items():
            if not provider.active:
                for message in messages:
                    jobs.append((message, None))
                continue
            for message in messages:
                jobs.append((message, provider))
        clients = {}
        local = threading.local()

        def client_for(provider):
            # one HTTP session per thread and provider (requests sessions are not
            # thread-safe); the keys are read once, here, in the main thread
            sessions = getattr(local, "sessions", None)
            if sessions is None:
                sessions = local.sessions = {}
            if provider.id not in sessions:
                sessions[provider.id] = clients[provider.id](requests.Session())
            return sessions[provider.id]

        for provider in {p for __, p in jobs if p}:
            secret = provider.sudo()
            kind = secret.kind
            args = (
                secret.key_id or "",
                secret.secret_key or "",
                secret.app_id or "",
                secret.sign_name,
                secret.region,
                secret.endpoint,
                secret.timeout,
            )
            clients[provider.id] = _client_factory(kind, args)

        tasks = [
            (message.id, provider, message.phone, message.template_code,
             message.sudo().send_params, message.sms_uuid or str(message.id))
            for message, provider in jobs
            if provider
        ]  # fmt: skip

        def call(task):
            __, provider, phone, code, params, context = task
            try:
                return client_for(provider).send(phone, code, params, context)
            except Exception as exc:  # noqa: BLE001 - one bad message never stops the batch
                _logger.exception("SMS: sending failed unexpectedly")
                return sms_providers.Outcome("uncertain", code=type(exc).__name__)

        threads = max([p.concurrency for __, p in jobs if p] or [SEND_THREADS])
        with ThreadPoolExecutor(max_workers=threads) as pool:
            outcomes = dict(zip([t[0] for t in tasks], pool.map(call, tasks), strict=True))
        for message, provider in jobs:
            if not provider:
                outcomes[message.id] = sms_providers.Outcome("retry", code="provider_inactive")
        return outcomes

    def _zm_store(self, outcomes):
        """Store the outcomes of a batch in two statements (the log and Odoo's SMS)."""
        now = fields.Datetime.now()
        rows = [message._zm_outcome_vals(outcomes[message.id], now) for message in self]
        if not rows:
            return
        columns = {
            "state": "varchar", "next_try_at": "timestamp", "sent_at": "timestamp",
            "provider_ref": "varchar", "fee": "int", "cost": "numeric",
            "error_code": "varchar", "error_message": "varchar",
        }  # fmt: skip
        kept = ("sent_at", "provider_ref", "fee", "cost")
        self.env.flush_all()
        unnest = SQL(", ").join(
            SQL("%s::%s[]", [row.get(name) or None for row in rows], SQL(kind))
            for name, kind in columns.items()
        )
        assignments = SQL(", ").join(
            SQL("%s = COALESCE(v.%s, m.%s)", *[SQL.identifier(name)] * 3)
            if name in kept
            else SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name))
            for name in columns
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE zm_sms_message m
                   SET %(assignments)s, write_date = %(now)s,
                       send_params = CASE WHEN m.purpose = 'verification'
                                           AND v.state IN %(final)s
                                          THEN NULL ELSE m.send_params END
                  FROM unnest(%(ids)s::int[], %(unnest)s) AS v(id, %(names)s)
                 WHERE m.id = v.id
                """,
                assignments=assignments,
                now=now,
                final=FINAL_STATES,
                ids=self.ids,
                unnest=unnest,
                names=SQL(", ").join(SQL.identifier(name) for name in columns),
            )
        )
        self.invalidate_recordset()
        self._zm_update_sms()
        tally = {}
        for message, row in zip(self, rows, strict=True):
            tally[row["state"]] = tally.get(row["state"], 0) + 1
            if row["state"] != "sent":
                _logger.info(
                    "SMS %s to %s (%s): %s %s",
                    message.id, _mask(message.phone), message.purpose, row["state"],
                    row["error_code"],
                )  # fmt: skip
        _logger.info("SMS batch of %s: %s", len(self), tally)

    def _zm_record(self, outcome, now):
        """Store one outcome; mirror it on Odoo's SMS record."""
        self.ensure_one()
        vals = self._zm_outcome_vals(outcome, now)
        if vals["state"] in FINAL_STATES and self.purpose == "verification":
            vals["send_params"] = False
        self.sudo().write(vals)
        _logger.info(
            "SMS %s to %s (%s): %s %s",
            self.id,
            _mask(self.phone),
            self.purpose,
            vals["state"],
            vals["error_code"],
        )
        self._zm_update_sms()

    def _zm_outcome_vals(self, outcome, now):
        """The log's new values for ``outcome`` of this message's attempt."""
        self.ensure_one()
        vals = {
            "error_code": (outcome.code or "")[:64],
            "error_message": (outcome.message or "")[:500],
        }
        status = outcome.status
        if status == "retry" and self.attempts >= MAX_ATTEMPTS:
            status = "failed"
        if status == "sent":
            fee = outcome.fee or self.fee or 1
            vals.update(
                state="sent",
                sent_at=now,
                provider_ref=outcome.ref,
                fee=fee,
                cost=fee * self.provider_id.unit_price,
                next_try_at=False,
            )
        elif status == "retry":
            wait = BACKOFF_MINUTES[min(self.attempts, MAX_ATTEMPTS - 1) - 1]
            vals.update(state="queued", next_try_at=now + timedelta(minutes=wait))
        elif status == "uncertain":
            vals.update(state="uncertain", next_try_at=now + timedelta(minutes=RECONCILE_MINUTES))
        else:
            vals.update(state="failed", next_try_at=False)
        return vals

    def _zm_update_sms(self):
        """Odoo's SMS records follow their log rows (one statement)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE sms_sms s
                   SET state = CASE m.state
                           WHEN 'delivered' THEN 'sent'
                           WHEN 'sent' THEN 'pending'
                           WHEN 'uncertain' THEN 'process'
                           WHEN 'sending' THEN 'process'
                           WHEN 'queued' THEN 'outgoing'
                           ELSE 'error' END,
                       failure_type = CASE m.state
                           WHEN 'skipped' THEN 'sms_number_format'
                           WHEN 'failed' THEN 'sms_server'
                           WHEN 'undelivered' THEN 'sms_server'
                           END,
                       -- as Odoo does with the SMS it sent: its cleaner removes them;
                       -- the log keeps the message
                       to_delete = m.state IN %s
                  FROM zm_sms_message m
                 WHERE s.zm_message_id = m.id AND m.id = ANY(%s)
                """,
                FINAL_STATES,
                self.ids,
            )
        )
        self.env["sms.sms"].invalidate_model(["state", "failure_type", "to_delete"])

    # ------------------------------------------------------------------
    # Unanswered requests
    # ------------------------------------------------------------------

    @api.model
    def _zm_claim_unanswered(self, limit):
        """Claim requests that got no answer and are due to be asked about (or whose
        sender vanished): marked uncertain and due again in 30 minutes, so a crash while
        asking leaves them to be asked again."""
        self.env.flush_all()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                UPDATE zm_sms_message m
                   SET state = 'uncertain', next_try_at = %(later)s, write_date = %(now)s
                  FROM (SELECT id FROM zm_sms_message
                         WHERE (state = 'uncertain' AND next_try_at <= %(now)s)
                            OR (state = 'sending' AND last_try_at <= %(stale)s)
                         ORDER BY next_try_at, id
                         LIMIT %(limit)s
                           FOR UPDATE SKIP LOCKED) due
                 WHERE m.id = due.id
             RETURNING m.id
                """,
                now=now,
                later=now + timedelta(minutes=30),
                stale=now - timedelta(minutes=STALE_SENDING_MINUTES),
                limit=limit,
            ),
            log_exceptions=False,
        )
        messages = self.sudo().browse(sorted(row[0] for row in self.env.cr.fetchall()))
        messages.invalidate_recordset()
        return messages

    def _zm_ask(self, deadline=None):
        """Ask each message's provider whether it took it: {id: (found, reference)};
        past ``deadline`` (monotonic) the rest are not asked now ("later")."""
        now = fields.Datetime.now()
        answers = {}
        for message in self:
            if deadline is not None and time.monotonic() >= deadline:
                answers[message.id] = ("later", "")
                continue
            provider = message.provider_id
            # the provider's clock may run up to 5 minutes either side of ours
            since = (message.last_try_at or message.create_date) - timedelta(
                minutes=STATUS_MARGIN_MINUTES
            )
            found, ref = None, ""
            if provider.active:
                try:
                    client = provider._zm_client()
                    # a question never waits as long as a send may
                    client.timeout = min(client.timeout, QUESTION_TIMEOUT)
                    found, ref = client.sent_in(
                        message.phone,
                        message.sms_uuid or str(message.id),
                        epoch(since),
                        epoch(now) + STATUS_MARGIN_MINUTES * 60,
                    )
                except Exception:  # noqa: BLE001 - one question never stops the others
                    _logger.exception("SMS: status query failed")
            answers[message.id] = (found, ref)
        return answers

    def _zm_store_answers(self, answers):
        """Found in the provider's list → sent. Proven absent (a provider whose list
        shows every message it took) → sent again now. Otherwise asked again later, and
        after a day it fails without being resent (a manager may send it again)."""
        now = fields.Datetime.now()
        for message in self:
            found, ref = answers[message.id]
            if found == "later":
                # the run's time for questions is up: first in line at the next run
                message.write({"next_try_at": now})
                continue
            if found:
                message._zm_record(
                    sms_providers.Outcome("sent", ref=ref, code="confirmed_by_provider"), now
                )
            elif found is False:
                message._zm_record(
                    sms_providers.Outcome("retry", code="not_received_by_provider"), now
                )
                if message.state == "queued":
                    message.write({"next_try_at": now})
            elif now - (message.last_try_at or now) >= timedelta(hours=UNCERTAIN_GIVE_UP_HOURS):
                message._zm_record(
                    sms_providers.Outcome(
                        "failed",
                        code="unconfirmed",
                        message=self.env._(
                            "The provider never confirmed this message; it was not resent."
                        ),
                    ),
                    now,
                )

    # ------------------------------------------------------------------
    # Receipts
    # ------------------------------------------------------------------

    @api.model
    def _zm_receipts(self, provider, receipts):
        """Delivery receipts of ``provider``: (reference, phone or None, delivered,
        provider's status code, time or None) each. The first receipt of a message is
        final (a replayed or late one changes nothing); a receipt time outside the
        message's life is replaced by now. Returns the number applied."""
        receipts = [r for r in receipts if r[0] and r[0].isprintable() and len(r[0]) <= 64]
        if not receipts:
            return 0
        messages = self.sudo().search(
            [
                ("provider_id", "=", provider.id),
                ("provider_ref", "in", list({r[0] for r in receipts})),
                ("state", "=", "sent"),
            ]
        )
        by_ref = {message.provider_ref: message for message in messages}
        now = fields.Datetime.now()
        applied = self.browse()
        for ref, phone, delivered, code, when in receipts:
            message = by_ref.pop(ref, None)
            if not message:
                continue
            if phone and normalize_phone(phone, foreign=True) not in (message.phone, None):
                by_ref[ref] = message  # not this message's number: ignore the receipt
                continue
            if (
                not when
                or when > now + timedelta(hours=1)
                or when < message.sent_at - timedelta(hours=1)
            ):
                when = now
            message.write(
                {
                    "state": "delivered" if delivered else "undelivered",
                    "delivered_at": when,
                    "receipt_code": "".join(ch for ch in (code or "") if ch.isprintable())[:64],
                }
            )
            applied |= message
        applied._zm_update_sms()
        return len(applied)

    def export_data(self, fields_to_export):
        """Finance staff and managers export the SMS log (F2) - this log only, read with
        their own rights and record rules - without Odoo's export right for every model."""
        if self._zm_may_export():
            self.check_access("read")
            fields_to_export = [fix_import_export_id_paths(f) for f in fields_to_export]
            return {"datas": self._export_rows(fields_to_export)}
        return super().export_data(fields_to_export)

    def _zm_may_export(self):
        user = self.env.user
        return user.has_group("zm_broadband.group_finance") or user.has_group(
            "zm_broadband.group_manager"
        )

    #: the columns of the Excel export, as the SMS log (F2) asks
    EXPORT_FIELDS = (
        "create_date", "phone", "subscriber_id", "area_id", "purpose", "template_code",
        "params", "body", "state", "error_code", "receipt_code", "sent_at", "delivered_at",
        "fee", "cost",
    )  # fmt: skip

    def action_export_xlsx(self):
        """The selected rows of the log as an Excel file (finance staff and managers,
        with their own record rules), without Odoo's export right for every model."""
        if not self._zm_may_export():
            raise AccessError(self.env._("Only finance staff and managers export the SMS log."))
        self.check_access("read")
        rows = self._export_rows([[name] for name in self.EXPORT_FIELDS])
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        sheet = workbook.add_worksheet("SMS")
        bold = workbook.add_format({"bold": True})
        for col, name in enumerate(self.EXPORT_FIELDS):
            sheet.write(0, col, self._fields[name].get_description(self.env)["string"], bold)
        for row, values in enumerate(rows, 1):
            for col, value in enumerate(values):
                if isinstance(value, (dict, list)):
                    value = json.dumps(value, ensure_ascii=False)
                sheet.write(row, col, "" if value is False else value)
        workbook.close()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"sms-log-{fields.Date.context_today(self)}.xlsx",
                "raw": output.getvalue(),
                "res_model": self._name,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def action_resend(self):
        """Send a failed message again (a person decided: the log keeps both)."""
        if not self.env.user.has_group("zm_broadband.group_manager"):
            raise AccessError(self.env._("Only managers may resend an SMS."))
        for message in self:
            if message.state not in ("failed", "undelivered"):
                raise UserError(self.env._("Only failed messages are resent."))
            if message.purpose == "verification":
                raise UserError(
                    self.env._("A verification code is never resent: ask for a new code.")
                )
        for message in self.sudo():
            message.write({"state": "queued", "next_try_at": False, "attempts": 0})
            self.env["sms.sms"].sudo().search([("zm_message_id", "=", message.id)]).write(
                {"state": "outgoing", "failure_type": False, "to_delete": False}
            )
        self.env.ref("zm_sms.ir_cron_zm_sms_send").sudo()._trigger()
        return True


def _client_factory(kind, args):
    key_id, secret_key, app_id, sign_name, region, endpoint, timeout = args
    if kind == "tencent":
        return lambda session: sms_providers.TencentSms(
            key_id, secret_key, app_id, sign_name, region=region, endpoint=endpoint,
            timeout=timeout, session=session,
        )  # fmt: skip
    return lambda session: sms_providers.AliyunSms(
        key_id, secret_key, sign_name, endpoint=endpoint, timeout=timeout, session=session
    )


def _json(value):
    return json.dumps(value, ensure_ascii=False)


def epoch(naive_utc):
    """Whole seconds since 1970 of a naive UTC instant (as PostgreSQL's
    ``floor(extract(epoch FROM ts))`` of a timestamp column: reminders' event keys)."""
    return int(naive_utc.replace(tzinfo=UTC).timestamp())


def _mask(phone):
    phone = phone or ""
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"
