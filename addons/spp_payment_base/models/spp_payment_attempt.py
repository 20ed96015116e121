# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .spp_payment import PAYMENT_STATES

IN_FLIGHT = ("queued", "sent", "accepted", "processing", "unknown")


class SppPaymentAttempt(models.Model):
    """One send of a payment to its FSP, under one idempotency key."""

    _name = "spp.payment.attempt"
    _description = "Payment Attempt"
    _order = "payment_id, attempt_no"
    _rec_name = "idempotency_key"

    # Few indexes on purpose: every state change of a million payments moves
    # their current attempts too, and each index is written for each row moved.
    # UNIQUE(payment_id, attempt_no) serves lookups by payment, UNIQUE(key) by
    # key, the two partial unique indexes the in-flight and paid attempts; FSP
    # references are indexed only where an FSP gave one.
    payment_id = fields.Many2one(
        "spp.payment", required=True, ondelete="restrict", readonly=True
    )
    attempt_no = fields.Integer(required=True, readonly=True)
    idempotency_key = fields.Char(required=True, readonly=True)
    fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True)
    state = fields.Selection(
        [s for s in PAYMENT_STATES if s[0] not in ("draft", "approved")],
        required=True,
        readonly=True,
    )
    sent_date = fields.Datetime(readonly=True)
    fsp_batch_ref = fields.Char(
        string="FSP Batch", readonly=True, index="btree_not_null"
    )
    fsp_txn_id = fields.Char(
        string="FSP Transaction", readonly=True, index="btree_not_null"
    )
    fsp_status_raw = fields.Char(string="FSP Status", readonly=True)
    fsp_reason_code = fields.Char(string="FSP Reason", readonly=True)
    request_digest = fields.Char(readonly=True, help="SHA-256 of the request sent.")
    response_digest = fields.Char(readonly=True, help="SHA-256 of the answer.")

    _attempt_no_unique = models.Constraint(
        "UNIQUE(payment_id, attempt_no)", "Attempt numbers are unique per payment."
    )
    _key_unique = models.Constraint(
        "UNIQUE(idempotency_key)", "An idempotency key is never reused."
    )
    # The database itself refuses a second success or a second send in flight.
    _one_paid_attempt = models.UniqueIndex(
        "(payment_id) WHERE state = 'paid'",
        "A payment cannot have two successful attempts.",
    )
    _one_attempt_in_flight = models.UniqueIndex(
        "(payment_id) WHERE state IN "
        "('queued', 'sent', 'accepted', 'processing', 'unknown')",
        "A payment cannot be sent again while an attempt is in flight.",
    )
