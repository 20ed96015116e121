# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class SppReconciliation(models.Model):
    _inherit = "spp.reconciliation"

    def _spp_finish_apply(self, payroll_ids):
        """An accepted PPM batch moves the cash handed out of the floats that
        carried its payments (recomputed from their paid payments)."""
        result = super()._spp_finish_apply(payroll_ids)
        if self.source == "ppm":
            self.env["spp.ppm.float"]._spp_refresh_for_payments(
                self.line_ids.payment_id
            )
        return result
