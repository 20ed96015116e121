# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL

from .spp_ppm_event import VERDICTS


class SppReconciliation(models.Model):
    """A PPM sync is a reconciliation batch of source ``ppm``."""

    _inherit = "spp.reconciliation"

    batch_uuid = fields.Char(readonly=True, index="btree_not_null", copy=False)
    device_id = fields.Many2one("spp.ppm.device", readonly=True, index=True)
    ppm_id = fields.Many2one(
        "spp.payment.point.manager", string="PPM", readonly=True, index=True
    )
    # What the sync answered, returned as is when the device sends it again.
    ppm_answer = fields.Json(readonly=True, copy=False)
    ppm_event_ids = fields.One2many("spp.ppm.event", "batch_id", readonly=True)

    _batch_uuid_unique = models.Constraint(
        "UNIQUE(batch_uuid)", "A sync is stored once per batch UUID."
    )

    def _on_spp_approved(self):
        result = super()._on_spp_approved()
        ppm = self.filtered(lambda b: b.source == "ppm")
        if ppm:
            ppm._spp_ppm_update_floats()
        return result

    def _on_spp_rejected(self):
        """The lines go (see super), their photos stay, with the events the
        device signed: the same events sync again under a new batch UUID."""
        ppm = self.filtered(lambda b: b.source == "ppm")
        if ppm:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE ir_attachment a
                       SET res_model = 'spp.ppm.event', res_id = e.id
                      FROM spp_reconciliation_line l
                      JOIN spp_ppm_event e ON e.line_ref = l.id
                     WHERE l.reconciliation_id = ANY(%s)
                       AND a.res_model = 'spp.reconciliation.line'
                       AND a.res_id = l.id
                    """,
                    ppm.ids,
                )
            )
            self.env["ir.attachment"].invalidate_model(["res_model", "res_id"])
        return super()._on_spp_rejected()

    def _spp_ppm_floats(self):
        """The floats whose payments these batches' lines name."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT f.id
                  FROM spp_reconciliation_line l
                  JOIN spp_payment p ON p.id = l.payment_id
                  JOIN spp_ppm_float f ON f.payroll_point_id = p.payroll_point_id
                 WHERE l.reconciliation_id = ANY(%s)
                """,
                self.ids,
            )
        )
        return (
            self.env["spp.ppm.float"]
            .sudo()
            .browse([row[0] for row in self.env.cr.fetchall()])
        )

    def _spp_ppm_update_floats(self):
        """Handed-out amounts of the floats concerned, recomputed from every
        accepted PPM line (paid or paid partly), and their variance; one
        statement. A float model offering its own hook is left to it."""
        floats = self._spp_ppm_floats()
        if not floats:
            return
        floats.lock_for_update()
        if hasattr(floats, "_spp_update_handed_out"):
            floats._spp_update_handed_out()
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_ppm_float f
                   SET amount_handed_out = COALESCE(s.total, 0),
                       variance = COALESCE(f.amount_issued, 0)
                                  - COALESCE(s.total, 0)
                                  - COALESCE(f.amount_returned, 0)
                  FROM spp_ppm_float f2
             LEFT JOIN LATERAL (
                    SELECT SUM(l.paid_amount) AS total
                      FROM spp_payment p
                      JOIN spp_reconciliation_line l ON l.payment_id = p.id
                      JOIN spp_reconciliation r ON r.id = l.reconciliation_id
                     WHERE p.payroll_point_id = f2.payroll_point_id
                       AND r.source = 'ppm' AND r.applied_date IS NOT NULL
                       AND l.outcome IN ('paid', 'partial')
                   ) s ON TRUE
                 WHERE f.id = f2.id AND f.id = ANY(%s)
                """,
                floats.ids,
            )
        )
        floats.invalidate_recordset(["amount_handed_out", "variance"])


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
    ppm_verdict = fields.Selection(VERDICTS, string="PPM Verdict", readonly=True)
    ppm_flags = fields.Char(
        string="PPM Flags",
        readonly=True,
        help="Doubts that do not stop the line (GPS outside the point's radius).",
    )

    # Rejection deletes a batch's lines, freeing their events to sync again.
    _client_uuid_unique = models.UniqueIndex(
        "(client_uuid) WHERE client_uuid IS NOT NULL",
        "A PPM event is reconciled once.",
    )
