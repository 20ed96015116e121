# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppPayment(models.Model):
    _inherit = "spp.payment"

    # Written by the PPM payroll's grouping (set-based SQL), never by hand.
    payroll_point_id = fields.Many2one(
        "spp.payroll.point", readonly=True, index="btree_not_null", copy=False
    )
    payment_point_id = fields.Many2one(
        related="payroll_point_id.payment_point_id", store=True
    )
    ppm_id = fields.Many2one(
        related="payroll_point_id.manager_id", string="PPM", store=True
    )
