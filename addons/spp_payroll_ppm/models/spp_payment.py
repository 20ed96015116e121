# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

from odoo.addons.spp_payment_base.tools import SparseMany2one


class SppPayment(models.Model):
    _inherit = "spp.payment"

    # Written by the PPM payroll's grouping (set-based SQL), never by hand.
    # Empty at generation: keys without a per-row check (see SparseMany2one).
    payroll_point_id = SparseMany2one(
        "spp.payroll.point", readonly=True, index="btree_not_null", copy=False
    )
    payment_point_id = SparseMany2one(
        related="payroll_point_id.payment_point_id", store=True
    )
    ppm_id = SparseMany2one(
        related="payroll_point_id.manager_id", string="PPM", store=True
    )
