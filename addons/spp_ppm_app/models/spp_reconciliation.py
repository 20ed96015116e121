# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppReconciliation(models.Model):
    """A PPM sync is a reconciliation batch of source ``ppm``."""

    _inherit = "spp.reconciliation"

    batch_uuid = fields.Char(readonly=True, index="btree_not_null", copy=False)
    device_id = fields.Many2one("spp.ppm.device", readonly=True, index=True)
    ppm_id = fields.Many2one(
        "spp.payment.point.manager", string="PPM", readonly=True, index=True
    )

    _batch_uuid_unique = models.Constraint(
        "UNIQUE(batch_uuid)", "A sync is stored once per batch UUID."
    )


class SppReconciliationLine(models.Model):
    """The evidence of one cash payment handed over, as the device signed it."""

    _inherit = "spp.reconciliation.line"

    client_uuid = fields.Char(readonly=True)
    device_seq = fields.Integer(readonly=True)
    paid_at = fields.Datetime(readonly=True)
    latitude = fields.Float(digits=(10, 7), readonly=True)
    longitude = fields.Float(digits=(10, 7), readonly=True)
    gps_accuracy = fields.Float(string="GPS Accuracy (m)", readonly=True)
    photo_id = fields.Many2one("ir.attachment", readonly=True)
    photo_sha256 = fields.Char(readonly=True)
    signature = fields.Char(readonly=True)
    exception_reason = fields.Char(readonly=True)
