# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""FSP callbacks: every one recorded first, then applied.

The record is written before anything is applied, so no callback is lost: one
that arrives before the acknowledgement of its request (the payment is still
being sent, its row locked by the sending job) waits as *pending* and is applied
by the sender right after, or by the scheduled retry. A replayed callback is
recorded as a *duplicate* and changes nothing; one that cannot be authenticated
or parsed is *refused*, logged without secrets, and changes nothing.
"""

import hashlib
import json
import logging

from psycopg2.errors import LockNotAvailable

from odoo import api, fields, models

_logger = logging.getLogger(__name__)
MAX_BODY = 5_000_000


class CallbackRefused(Exception):
    """A callback that changes nothing: bad secret, signature or body."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


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
    result = fields.Char(readonly=True, help="What applying it did.")
    remote_addr = fields.Char(readonly=True)

    # Receiving -------------------------------------------------------------

    @api.model
    def _spp_receive(self, provider, secret, raw, headers=None, remote_addr=None):
        """Record and apply one callback; returns (http status, answer body)."""
        fsp = self.env["spp.fsp"].sudo()._spp_get_by_callback_secret(provider, secret)
        if not fsp:
            _logger.warning(
                "Refused %s callback from %s: unknown callback URL",
                provider,
                remote_addr,
            )
            return 404, {"error": "unknown callback URL"}
        record = self.sudo().create(
            {
                "fsp_id": fsp.id,
                "provider": provider,
                "kind": (headers or {}).get("x-spp-callback-kind"),
                "payload": raw[:MAX_BODY].decode("utf-8", errors="replace"),
                "payload_sha256": hashlib.sha256(raw).hexdigest(),
                "remote_addr": remote_addr,
            }
        )
        try:
            payload = record._spp_check(raw, headers or {})
        except CallbackRefused as error:
            record.write({"state": "refused", "result": str(error)[:250]})
            _logger.warning(
                "Refused %s callback %s for FSP %s: %s",
                provider,
                record.id,
                fsp.id,
                error,
            )
            return error.status, fsp._spp_callback_answer(ok=False)
        if record._spp_seen_before():
            record.write(
                {"state": "duplicate", "result": "same payload already applied"}
            )
            return 200, fsp._spp_callback_answer(ok=True)
        if not record._spp_apply(payload, nowait=True):
            return 400, fsp._spp_callback_answer(ok=False)
        return 200, fsp._spp_callback_answer(ok=True)

    def _spp_check(self, raw, headers):
        if len(raw) > MAX_BODY:
            raise CallbackRefused("body too large", 413)
        try:
            payload = json.loads(raw)
        except ValueError as error:
            raise CallbackRefused(f"not JSON: {error}") from error
        self.fsp_id._spp_verify_callback(raw, payload, headers)
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
        try:
            outcomes = fsp._spp_parse_callback(payload, self.kind)
        except (ValueError, KeyError, TypeError) as error:
            self.write({"state": "refused", "result": str(error)[:250]})
            _logger.warning(
                "Refused callback %s for FSP %s: %s", self.id, fsp.id, error
            )
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

    @api.model
    def _spp_apply_pending(self, fsp=None):
        """Apply callbacks left pending (called by senders and by the cron)."""
        domain = [("state", "=", "pending")]
        if fsp:
            domain.append(("fsp_id", "=", fsp.id))
        for callback in self.sudo().search(domain, order="id", limit=1000):
            callback._spp_apply()


def _describe(counts):
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()) if n)
