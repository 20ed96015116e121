# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.tools import SQL


class SppPayment(models.Model):
    _inherit = "spp.payment"

    def _spp_account_moves_where(self):
        """Of the payroll's float entries, only those of this payment's float."""
        where = super()._spp_account_moves_where()
        if where is None:
            return where
        return SQL(
            "(%s) AND (m.spp_ppm_float_id IS NULL OR m.spp_ppm_float_id = %s)",
            where,
            self.sudo().payroll_point_id.float_id.id or None,
        )
