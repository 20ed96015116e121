# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

# A payment handed over in cash: the outcomes of a PPM line that paid it.
PAYING_OUTCOMES = ("paid", "partial")


class SppPayment(models.Model):
    """A cash payment shows, in the beneficiary's payment history, the evidence
    its PPM's device signed: the photo, where and when the cash changed hands."""

    _inherit = "spp.payment"

    cash_line_id = fields.Many2one(
        "spp.reconciliation.line",
        string="Cash Evidence",
        compute="_compute_cash_evidence",
        help="The line of the accepted PPM sync that paid this payment.",
    )
    # Computed with the line, not related to it: the line is found by a
    # search, so nothing could tell a related field when to recompute.
    cash_paid_at = fields.Datetime(
        string="Handed Over At", compute="_compute_cash_evidence"
    )
    cash_latitude = fields.Float(
        string="Latitude", compute="_compute_cash_evidence", digits=(10, 7)
    )
    cash_longitude = fields.Float(
        string="Longitude", compute="_compute_cash_evidence", digits=(10, 7)
    )
    cash_gps_accuracy = fields.Float(
        string="GPS Accuracy (m)", compute="_compute_cash_evidence"
    )
    cash_photo = fields.Binary(string="Photo", compute="_compute_cash_evidence")
    cash_map_url = fields.Char(string="Map", compute="_compute_cash_evidence")
    cash_batch_id = fields.Many2one(
        "spp.reconciliation", string="PPM Sync", compute="_compute_cash_evidence"
    )

    def _compute_cash_evidence(self):
        lines = self._spp_cash_lines()
        for payment in self:
            line = lines.get(payment.id, self.env["spp.reconciliation.line"])
            payment.cash_line_id = line
            payment.cash_batch_id = line.reconciliation_id
            payment.cash_paid_at = line.paid_at
            payment.cash_latitude = line.latitude
            payment.cash_longitude = line.longitude
            payment.cash_gps_accuracy = line.gps_accuracy
            # The line was found as this user (record rules applied); its
            # photo, attached to it, is readable by whoever reads the line.
            payment.cash_photo = line.photo_id.sudo().datas if line.photo_id else False
            payment.cash_map_url = (
                _map_url(line.latitude, line.longitude) if line else False
            )

    def _spp_cash_lines(self):
        """{payment id: the newest line of an applied PPM batch that paid it}."""
        ids = [pid for pid in self.ids if pid]
        if not ids:
            return {}
        lines = self.env["spp.reconciliation.line"].search(
            [
                ("payment_id", "in", ids),
                ("reconciliation_id.source", "=", "ppm"),
                ("reconciliation_id.applied_date", "!=", False),
                ("outcome", "in", PAYING_OUTCOMES),
            ],
            order="id desc",
        )
        found = {}
        for line in lines:
            found.setdefault(line.payment_id.id, line)
        return found


def _map_url(latitude, longitude):
    """Where the cash changed hands, on OpenStreetMap (none without a fix)."""
    if not (latitude or longitude):
        return False
    position = f"{latitude:.7f}/{longitude:.7f}"
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.7f}&mlon={longitude:.7f}"
        f"#map=18/{position}"
    )
