# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

VERDICTS = [
    ("accepted", "Accepted"),
    ("duplicate", "Duplicate"),
    ("exception", "Exception"),
    ("refused", "Refused"),
]


class SppPpmEvent(models.Model):
    """Every event a device synced, as it signed it (the photo aside), with
    the verdict the server gave: the device's hash chain, and the evidence
    kept for refused events, which have no reconciliation line. Written by
    the sync only; a rejected batch leaves its events here, so the same
    events can come again under a new batch."""

    _name = "spp.ppm.event"
    _description = "PPM Synced Event"
    _order = "device_id, seq, id"

    device_id = fields.Many2one(
        "spp.ppm.device", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="device_id.company_id", store=True)
    batch_id = fields.Many2one("spp.reconciliation", index=True, ondelete="set null")
    client_uuid = fields.Char(required=True)
    seq = fields.Integer(required=True)
    # Chained: its signature was valid and it continued the device's chain.
    chained = fields.Boolean(readonly=True)
    event_hash = fields.Char(readonly=True)
    prev_hash = fields.Char(readonly=True)
    signature = fields.Char(readonly=True)
    # The payment id the device named (it may not exist, or not be this PPM's).
    payment_ref = fields.Integer(string="Payment ID Sent", readonly=True)
    amount = fields.Char(readonly=True)
    paid_at = fields.Char(readonly=True)
    latitude = fields.Float(digits=(10, 7), readonly=True)
    longitude = fields.Float(digits=(10, 7), readonly=True)
    gps_accuracy = fields.Float(readonly=True)
    photo_sha256 = fields.Char(readonly=True)
    payload = fields.Json(readonly=True, help="The event as sent, without the photo.")
    verdict = fields.Selection(VERDICTS, readonly=True)
    reason = fields.Char(readonly=True)
    line_ref = fields.Integer(string="Reconciliation Line", readonly=True)

    _chain_unique = models.UniqueIndex(
        "(device_id, seq) WHERE chained",
        "A device's event sequence number is used once.",
    )
    _uuid_unique = models.UniqueIndex(
        "(client_uuid) WHERE chained", "An event UUID is synced once."
    )
