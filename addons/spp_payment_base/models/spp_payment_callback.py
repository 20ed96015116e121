# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""FSP callbacks: every one recorded first, then applied.

The record is written before anything is applied, so no callback is lost: one
that arrives before the acknowledgement of its request (the payment is still
being sent, its row locked by the sending job) waits as *pending* and is applied
by the sender right after, or by the scheduled retry. A replayed callback is
recorded as a *duplicate* and changes nothing; one that cannot be authenticated
or parsed is *refused* with a 4xx answer, logged at INFO without secrets, and
changes nothing.

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
from datetime import timedelta

from psycopg2.errors import LockNotAvailable
from spp_payment_core.callbacks import MAX_BODY, address_allowed, is_public_id

from odoo import api, fields, models

_logger = logging.getLogger(__name__)
# What a refused callback keeps of its body: enough to see what it was, not
# enough to let anyone fill the database through a public URL.
REFUSED_PAYLOAD_CHARS = 4000
HOLD_UNVERIFIED = timedelta(minutes=30)


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

    # Receiving -------------------------------------------------------------

    @api.model
    def _spp_receive(
        self, public_id, raw, headers=None, remote_addr=None, kind=None, method="POST"
    ):
        """Record and apply one callback received at the URL of the FSP whose
        callback ID is ``public_id``; returns (http status, answer body).
        ``raw`` is None for a body too large to read."""
        headers = headers or {}
        fsp = self.env["spp.fsp"].sudo()._spp_get_by_callback_public_id(public_id)
        if not fsp or (kind is not None and not is_public_id(kind)):
            # No FSP to record it against; the id is not echoed (it may be
            # anything, of any length).
            _logger.info("Refused callback from %s: unknown callback URL", remote_addr)
            return 404, {"error": "unknown callback URL"}
        record = self.sudo().create(
            {
                "fsp_id": fsp.id,
                "provider": fsp.provider,
                "kind": kind,
                "payload": _text((raw or b"")[:REFUSED_PAYLOAD_CHARS])
                if raw is None or len(raw) > MAX_BODY
                else _text(raw),
                "payload_sha256": hashlib.sha256(raw or b"").hexdigest(),
                "remote_addr": remote_addr,
            }
        )
        try:
            payload = record._spp_check(raw, headers, remote_addr, method)
        except CallbackRefused as error:
            return record._spp_refuse(error)
        except CallbackDeferred as error:
            record.write({"result": f"held until authenticated: {error}"[:250]})
            _logger.info("Callback %s for FSP %s held: %s", record.id, fsp.id, error)
            return 202, fsp._spp_callback_answer(ok=True)
        record.authenticated = True
        if record._spp_seen_before():
            record.write(
                {"state": "duplicate", "result": "same payload already applied"}
            )
            return 200, fsp._spp_callback_answer(ok=True)
        if not record._spp_apply(payload, nowait=True):
            return 400, fsp._spp_callback_answer(ok=False)
        return 200, fsp._spp_callback_answer(ok=True)

    def _spp_refuse(self, error):
        """Record the refusal (keeping only the start of the body) and answer
        the FSP's refusal with the error's 4xx status."""
        self.write(
            {
                "state": "refused",
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

    def _spp_check(self, raw, headers, remote_addr, method):
        """The callback's JSON payload; raises CallbackRefused (or Deferred)."""
        fsp = self.fsp_id.sudo()
        if method != "POST":
            raise CallbackRefused(f"method {method[:16]} not allowed", 405)
        if fsp.state == "disabled" or not fsp.active:
            raise CallbackRefused("the FSP is disabled", 403)
        if not address_allowed(remote_addr, fsp.callback_allowed_ips):
            raise CallbackRefused("source address not allowed", 403)
        if raw is None or len(raw) > MAX_BODY:
            raise CallbackRefused(f"body larger than {MAX_BODY} bytes", 413)
        payload = _json_object(raw)
        fsp._spp_authenticate_callback(raw, payload, headers)
        return payload

    def _spp_seen_before(self):
        if self.fsp_id._spp_callback_is_hint():
            # A hint repeated (PHEE's "complete: 100" after a late change) must
            # still trigger its poll, which is idempotent.
            return False
        return bool(
            self.search_count(
                [
                    ("fsp_id", "=", self.fsp_id.id),
                    ("payload_sha256", "=", self.payload_sha256),
                    ("state", "=", "applied"),
                    ("id", "!=", self.id),
                ],
                limit=1,
            )
        )

    # Applying --------------------------------------------------------------

    def _spp_apply(self, payload=None, nowait=False):
        """Parse and apply; stays pending when its payments are still being sent.
        False when the payload cannot be read (the callback is refused)."""
        self.ensure_one()
        fsp = self.fsp_id
        if payload is None:
            payload = json.loads(self.payload)
        if not self.authenticated and not self._spp_authenticate_held(payload):
            return self.state != "refused"
        try:
            outcomes = fsp._spp_parse_callback(payload, self.kind)
        except (ValueError, KeyError, TypeError) as error:
            self._spp_refuse(CallbackRefused(str(error)))
            return False
        try:
            with self.env.cr.savepoint():
                counts = fsp._spp_apply_outcomes(
                    outcomes, nowait=nowait, source="callback", evidence=self
                )
        except LockNotAvailable:
            self.write({"result": "payments locked by their sender: retried later"})
            return True
        state = "pending" if counts.get("pending") else "applied"
        self.write({"state": state, "result": _describe(counts)})
        return True

    def _spp_authenticate_held(self, payload):
        """Check a held callback again: True once it is authenticated (and not
        a replay); it stays pending while young, and is refused once older
        than HOLD_UNVERIFIED or proven false."""
        try:
            self.fsp_id.sudo()._spp_authenticate_callback(
                self.payload.encode(), payload, None
            )
        except CallbackRefused as error:
            self._spp_refuse(error)
            return False
        except CallbackDeferred as error:
            if self.received_date < fields.Datetime.now() - HOLD_UNVERIFIED:
                self._spp_refuse(CallbackRefused(f"never authenticated: {error}", 401))
            return False
        self.authenticated = True
        if self._spp_seen_before():
            self.write({"state": "duplicate", "result": "same payload already applied"})
            return False
        return True

    @api.model
    def _job_apply_pending(self, fsp_id):
        """Queue job: apply the FSP's pending callbacks, from a snapshot that
        sees those received while its payments were being sent."""
        fsp = self.env["spp.fsp"].sudo().browse(fsp_id).exists()
        if fsp:
            self._spp_apply_pending(fsp)

    @api.model
    def _spp_apply_pending(self, fsp=None):
        """Apply callbacks left pending (called by senders and by the cron)."""
        domain = [("state", "=", "pending")]
        if fsp:
            domain.append(("fsp_id", "=", fsp.id))
        for callback in self.sudo().search(domain, order="id", limit=1000):
            callback._spp_apply()


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
