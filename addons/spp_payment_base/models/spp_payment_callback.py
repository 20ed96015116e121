# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""FSP callbacks: every one recorded first, then applied.

The record is written before anything is applied, so no callback is lost: one
that arrives before the acknowledgement of its request (the payment is still
being sent, its row locked by the sending job) waits as *pending* and is applied
by the sender right after, or by the scheduled retry. A replayed callback is
recorded as a *duplicate* and changes nothing (a unique key on the FSP's
message, ``message_key``, decides, also between concurrent requests); one that
cannot be authenticated or parsed is *refused* with a 4xx answer, logged at INFO
without secrets, and changes nothing.

Through HTTP, callbacks the FSP sends one per payment (M-Pesa's Results) take
the short path: the FSP's lookup comes from a per-process cache, the callback
is authenticated, checked and inserted (one INSERT ... ON CONFLICT), and the
FSP's apply job applies the pending ones in set-based batches, taken with
``FOR UPDATE SKIP LOCKED`` so that several job runners never apply one twice.

The callback URL names the FSP by its public callback ID, never by a secret
(request logs print URLs). Authentication is the FSP's business
(``spp.fsp._spp_authenticate_callback``): our HMAC header by default, the
protocol's own means where the FSP cannot add one. A callback that can only be
authenticated from what we record on our side of the conversation (M-Pesa's
ConversationID pairs, PHEE's batch ids), and arrives before we committed that,
is held *pending*, unauthenticated, and checked again when applied; it is
refused once older than HOLD_UNVERIFIED.
"""

import hashlib
import json
import logging
from collections import Counter
from datetime import timedelta

from psycopg2.errors import LockNotAvailable, UniqueViolation
from spp_payment_core.callbacks import MAX_BODY, address_allowed, is_public_id

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)
# What a refused callback keeps of its body: enough to see what it was, not
# enough to let anyone fill the database through a public URL.
REFUSED_PAYLOAD_CHARS = 4000
HOLD_UNVERIFIED = timedelta(minutes=30)
# Callbacks one apply job (or one call of _spp_apply_pending) applies at once.
APPLY_BATCH = 2000


class CallbackRefused(Exception):
    """A callback that changes nothing: bad signature, source, method or body."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class CallbackDeferred(Exception):
    """A callback that cannot be authenticated yet: what proves it is ours
    (e.g. the FSP's synchronous answer) is not recorded yet."""


class SppPaymentCallback(models.Model):
    _name = "spp.payment.callback"
    _description = "FSP Callback"
    _order = "id desc"
    _rec_name = "received_date"

    fsp_id = fields.Many2one(
        "spp.fsp", string="FSP", required=True, index=True, readonly=True
    )
    provider = fields.Char(readonly=True)
    kind = fields.Char(readonly=True, help="Which of the FSP's callback URLs.")
    received_date = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now
    )
    payload = fields.Text(readonly=True)
    payload_sha256 = fields.Char(readonly=True, index=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("applied", "Applied"),
            ("duplicate", "Duplicate"),
            ("refused", "Refused"),
        ],
        required=True,
        default="pending",
        readonly=True,
        index=True,
    )
    authenticated = fields.Boolean(
        readonly=True,
        help="The FSP proved it sent this callback. A pending callback that is "
        "not authenticated yet is checked again before it is applied.",
    )
    result = fields.Char(readonly=True, help="What applying it did.")
    remote_addr = fields.Char(readonly=True)

    message_key = fields.Char(
        readonly=True,
        help="What identifies the FSP's message (its id, or the hash of the "
        "body): one callback per key is ever applied, the others are recorded "
        "as duplicates.",
    )

    _message_unique = models.Constraint(
        "UNIQUE(fsp_id, message_key)",
        "An FSP's message is recorded once; its repetitions are duplicates.",
    )

    # Receiving -------------------------------------------------------------

    @api.model
    def _spp_receive(
        self,
        public_id,
        raw,
        headers=None,
        remote_addr=None,
        kind=None,
        method="POST",
        defer=False,
    ):
        """Record one callback received at the URL of the FSP whose callback
        ID is ``public_id``, and apply it; returns (http status, answer body).
        ``raw`` is None for a body too large to read.

        With ``defer`` (the HTTP entry point), a callback the FSP can check
        whole on receipt (``spp.fsp._spp_callback_deferrable``) is only
        authenticated, validated and inserted, and the apply job of its FSP
        applies it with the others, in batches: the request does one lookup
        (cached per worker process), the authentication and one INSERT."""
        headers = headers or {}
        found = self.env["spp.fsp"]._spp_callback_fsp(public_id)
        if not found or (kind is not None and not is_public_id(kind)):
            # No FSP to record it against; the id is not echoed (it may be
            # anything, of any length).
            _logger.info("Refused callback from %s: unknown callback URL", remote_addr)
            return 404, {"error": "unknown callback URL"}
        fsp = self.env["spp.fsp"].sudo().browse(found["id"])
        # The provider decides every step: from the cache, not by reading the
        # whole FSP record (its ~90 columns cost more than the INSERT).
        fsp._fields["provider"]._insert_cache(fsp, [found["provider"]])
        try:
            payload = self._spp_check(found, fsp, raw, headers, remote_addr, method)
            deferred = defer and fsp._spp_callback_deferrable(kind)
            if deferred:
                fsp._spp_callback_validate(payload, kind)
        except CallbackRefused as error:
            return self._spp_store_refused(fsp, kind, raw, remote_addr, error)
        except CallbackDeferred as error:
            self._spp_store(fsp, kind, raw, remote_addr, None, error)
            return 202, fsp._spp_callback_answer(ok=True)
        key = fsp._spp_callback_message_key(raw, payload, kind)
        callback_id, state = self._spp_store(
            fsp, kind, raw, remote_addr, key, apply_later=deferred
        )
        if state == "pending" and not deferred:
            if not self.browse(callback_id)._spp_apply_batch():
                return 400, fsp._spp_callback_answer(ok=False)
        return 200, fsp._spp_callback_answer(ok=True)

    def _spp_check(self, found, fsp, raw, headers, remote_addr, method):
        """The callback's JSON payload; raises CallbackRefused (or Deferred).
        ``found``: the FSP's cached _spp_callback_fsp."""
        if method != "POST":
            raise CallbackRefused(f"method {method[:16]} not allowed", 405)
        if not found["usable"]:
            raise CallbackRefused("the FSP is disabled", 403)
        if not address_allowed(remote_addr, found["allowed_ips"]):
            raise CallbackRefused("source address not allowed", 403)
        if raw is None or len(raw) > MAX_BODY:
            raise CallbackRefused(f"body larger than {MAX_BODY} bytes", 413)
        payload = _json_object(raw)
        fsp._spp_authenticate_callback(raw, payload, headers)
        return payload

    @api.model
    def _spp_store(
        self, fsp, kind, raw, remote_addr, key, held=None, apply_later=False
    ):
        """Insert the callback: (id, "pending"), or (id, "duplicate") when the
        FSP's message ``key`` is recorded already (the unique key decides,
        also between concurrent requests). ``held``: why an unauthenticated
        callback waits (CallbackDeferred). ``apply_later``: a new pending
        callback is left to the FSP's apply job, queued unless one waits.

        One statement for a new callback, its apply job looked up in it: on
        the callback path of every M-Pesa Result, each statement costs
        PostgreSQL more than its work (parse, plan, a round trip)."""
        identity = self._spp_apply_identity(fsp) if apply_later else None
        values = self._spp_row_values(fsp, kind, raw, remote_addr)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_payment_callback
                       (fsp_id, provider, kind, payload, payload_sha256,
                        remote_addr, message_key, state, authenticated, result,
                        received_date, create_uid, create_date, write_uid,
                        write_date)
                VALUES (%(fsp)s, %(provider)s, %(kind)s, %(payload)s, %(sha)s,
                        %(addr)s, %(key)s, 'pending', %(authenticated)s,
                        %(result)s, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s)
                ON CONFLICT (fsp_id, message_key) DO NOTHING
                RETURNING id, %(waiting)s
                """,
                **values,
                key=key,
                authenticated=held is None,
                result=f"held until authenticated: {held}"[:250] if held else None,
                waiting=SQL("EXISTS(%s)", self._spp_waiting_job(identity))
                if identity
                else SQL("TRUE"),
            )
        )
        row = self.env.cr.fetchone()
        if row is None:
            return self._spp_store_duplicate(values), "duplicate"
        callback_id, job_waiting = row
        if held:
            _logger.info("Callback %s for FSP %s held: %s", callback_id, fsp.id, held)
        if not job_waiting:
            self._spp_enqueue_apply(fsp, checked=True)
        return callback_id, "pending"

    @api.model
    def _spp_store_duplicate(self, values):
        """Record a delivery of a message recorded already (kept as evidence,
        never applied): its id. ``values``: _spp_row_values."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_payment_callback
                       (fsp_id, provider, kind, payload, payload_sha256,
                        remote_addr, state, authenticated, result,
                        received_date, create_uid, create_date, write_uid,
                        write_date)
                VALUES (%(fsp)s, %(provider)s, %(kind)s, %(payload)s, %(sha)s,
                        %(addr)s, 'duplicate', TRUE,
                        'same message already recorded', %(now)s, %(uid)s,
                        %(now)s, %(uid)s, %(now)s)
                RETURNING id
                """,
                **values,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _spp_row_values(self, fsp, kind, raw, remote_addr):
        """What every row of a received callback records (SQL parameters)."""
        return {
            "fsp": fsp.id,
            "provider": fsp.provider,
            "kind": kind,
            "payload": _text(raw),
            "sha": hashlib.sha256(raw).hexdigest(),
            "addr": remote_addr,
            "now": SQL("now() at time zone 'utc'"),
            "uid": self.env.uid,
        }

    @api.model
    def _spp_store_refused(self, fsp, kind, raw, remote_addr, error):
        """Record a refusal (keeping only the start of the body) and answer
        the FSP's refusal with the error's 4xx status."""
        record = self.create(
            {
                "fsp_id": fsp.id,
                "provider": fsp.provider,
                "kind": kind,
                "payload": _text((raw or b"")[:REFUSED_PAYLOAD_CHARS]),
                "payload_sha256": hashlib.sha256(raw or b"").hexdigest(),
                "remote_addr": remote_addr,
            }
        )
        return record._spp_refuse(error)

    def _spp_refuse(self, error):
        """Mark refused (its key freed, the start of its body kept), log it
        and answer with the error's 4xx status."""
        self.write(
            {
                "state": "refused",
                "message_key": False,
                "result": str(error)[:250],
                "payload": (self.payload or "")[:REFUSED_PAYLOAD_CHARS],
            }
        )
        _logger.info(
            "Refused callback %s for FSP %s from %s: %s",
            self.id,
            self.fsp_id.id,
            self.remote_addr,
            error,
        )
        return error.status, self.fsp_id._spp_callback_answer(ok=False)

    @api.model
    def _spp_enqueue_apply(self, fsp, checked=False):
        """The FSP's apply job, unless one is waiting already (its identity
        key, looked up on queue_job's partial index: one query, or none when
        the caller looked: ``checked``). A job already running does not
        count: it may have taken its batch before this callback was
        committed."""
        identity = self._spp_apply_identity(fsp)
        if not checked:
            self.env.cr.execute(self._spp_waiting_job(identity))
            if self.env.cr.fetchone():
                return
        self.with_delay(
            description=self.env._("%s: apply pending callbacks", fsp.name),
            identity_key=identity,
        )._job_apply_pending(fsp.id)

    @api.model
    def _spp_apply_identity(self, fsp):
        return f"spp.payment.callback:pending:{fsp.id}"

    @api.model
    def _spp_waiting_job(self, identity):
        """The query of the apply job ``identity`` waiting to run."""
        return SQL(
            "SELECT 1 FROM queue_job WHERE identity_key = %s AND state IN "
            "('pending', 'enqueued', 'wait_dependencies') LIMIT 1",
            identity,
        )

    # Applying --------------------------------------------------------------

    def _spp_apply_batch(self):
        """Apply these pending callbacks, set-based: one pass over the
        outcomes of each FSP's callbacks (several when one attempt is named
        twice, in the order received: a success after a failure is then a
        suspected double payment). A callback whose payments are still being
        sent, or locked, stays pending. False when one could not be read (it
        is refused)."""
        readable = True
        for fsp in self.fsp_id:
            todo = []
            for callback in self.filtered(lambda c, f=fsp: c.fsp_id == f):
                outcomes = callback._spp_outcomes()
                if outcomes is None:
                    readable = False
                elif outcomes is not False:
                    todo.append((callback, outcomes))
            self._spp_apply_rounds(fsp, todo)
        return readable

    def _spp_outcomes(self):
        """This callback's outcomes; False when it is not to be applied (held,
        duplicate); None when it is refused."""
        payload = json.loads(self.payload)
        if not self.authenticated and not self._spp_authenticate_held(payload):
            return None if self.state == "refused" else False
        try:
            return self.fsp_id._spp_parse_callback(payload, self.kind)
        except (ValueError, KeyError, TypeError) as error:
            self._spp_refuse(CallbackRefused(str(error)))
            return None

    @api.model
    def _spp_apply_rounds(self, fsp, todo):
        """``todo``: [(callback, outcomes)] of ``fsp``, in the order received."""
        rounds = []
        depth = {}
        for callback, outcomes in todo:
            # A round names each attempt once: its callback goes in the round
            # after the last one naming any of its attempts.
            level = max((depth.get(o.key, -1) for o in outcomes), default=-1) + 1
            for outcome in outcomes:
                depth[outcome.key] = level
            while len(rounds) <= level:
                rounds.append([])
            rounds[level].append((callback, outcomes))
        for index, batch in enumerate(rounds):
            if not self._spp_apply_round(fsp, batch):
                # Locked by their sender: this round and the later ones wait.
                waiting = [c.id for later in rounds[index:] for c, _o in later]
                self.browse(waiting)._spp_mark(
                    "pending", "payments locked by their sender: retried later"
                )
                return

    @api.model
    def _spp_apply_round(self, fsp, batch):
        """One set-based pass; False when the payments were locked."""
        outcomes = [o for _c, found in batch for o in found]
        evidence = [c.id for c, found in batch for _o in found]
        verdicts = {}
        try:
            with self.env.cr.savepoint():
                fsp._spp_apply_outcomes(
                    outcomes,
                    nowait=True,
                    source="callback",
                    evidence=self.browse(),
                    evidence_ids=evidence,
                    verdicts=verdicts,
                )
        except LockNotAvailable:
            return False
        by_state = {}
        for callback, found in batch:
            counts = Counter(verdicts.get(o.key, "unknown") for o in found)
            state = "pending" if counts.get("pending") else "applied"
            by_state.setdefault((state, _describe(counts)), []).append(callback.id)
        for (state, result), ids in by_state.items():
            self.browse(ids)._spp_mark(state, result)
        return True

    def _spp_mark(self, state, result):
        if not self:
            return
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payment_callback SET state = %s, result = %s, "
                "write_date = now() at time zone 'utc', write_uid = %s "
                "WHERE id = ANY(%s)",
                state,
                result,
                self.env.uid,
                self.ids,
            )
        )
        self.invalidate_recordset(["state", "result", "write_date", "write_uid"])

    def _spp_authenticate_held(self, payload):
        """Check a held callback again: True once it is authenticated (and not
        a replay); it stays pending while young, and is refused once older
        than HOLD_UNVERIFIED or proven false."""
        fsp = self.fsp_id.sudo()
        try:
            fsp._spp_authenticate_callback(self.payload.encode(), payload, None)
        except CallbackRefused as error:
            self._spp_refuse(error)
            return False
        except CallbackDeferred as error:
            if self.received_date < fields.Datetime.now() - HOLD_UNVERIFIED:
                self._spp_refuse(CallbackRefused(f"never authenticated: {error}", 401))
            return False
        key = fsp._spp_callback_message_key(self.payload.encode(), payload, self.kind)
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "UPDATE spp_payment_callback SET authenticated = TRUE, "
                        "message_key = %s WHERE id = %s",
                        key,
                        self.id,
                    )
                )
        except UniqueViolation:
            self._spp_mark("duplicate", "same message already recorded")
            return False
        self.invalidate_recordset(["authenticated", "message_key"])
        return True

    @api.model
    def _job_apply_pending(self, fsp_id):
        """Queue job: apply the FSP's pending callbacks, a batch at a time,
        from a snapshot that sees those received while its payments were
        being sent. A full batch queues the next job (each job commits)."""
        fsp = self.env["spp.fsp"].sudo().browse(fsp_id).exists()
        if fsp and self._spp_apply_pending(fsp, limit=APPLY_BATCH) == APPLY_BATCH:
            self._spp_enqueue_apply(fsp)

    @api.model
    def _spp_apply_pending(self, fsp=None, limit=APPLY_BATCH):
        """Apply up to ``limit`` callbacks left pending (called by the apply
        job, by senders and by the cron); returns how many it took. Rows
        another applier holds are skipped (SKIP LOCKED), so several job
        runners never apply one callback twice."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM spp_payment_callback WHERE state = 'pending' %s "
                "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                SQL("AND fsp_id = %s", fsp.id) if fsp else SQL(""),
                limit,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.sudo().browse(ids)._spp_apply_batch()
        return len(ids)


def _text(raw):
    return raw.decode("utf-8", errors="replace")


def _json_object(raw):
    """The JSON object ``raw`` holds; CallbackRefused for anything else (bytes
    that are not UTF-8, not JSON, or JSON that is not an object)."""
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise CallbackRefused(f"not JSON: {error}"[:200]) from error
    if not isinstance(payload, dict):
        raise CallbackRefused("not a JSON object")
    return payload


def _describe(counts):
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()) if n)
