# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppPayrollPoint(models.Model):
    """One part of a payment point in a PPM payroll: the payments one PPM carries
    cash for. A point whose total exceeds the cycle's carry limit is split into
    several parts (part_no 1, 2, ...), each within the limit, each its own PPM."""

    _name = "spp.payroll.point"
    _description = "Payroll Payment Point"
    _order = "payroll_id, payment_point_id, part_no"

    payroll_id = fields.Many2one(
        "spp.payroll", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="payroll_id.company_id", store=True)
    currency_id = fields.Many2one(related="payroll_id.currency_id")
    payment_point_id = fields.Many2one(
        "spp.payment.point", required=True, index=True, ondelete="restrict"
    )
    part_no = fields.Integer(default=1, required=True)
    manager_id = fields.Many2one(
        "spp.payment.point.manager", string="PPM", index=True, ondelete="restrict"
    )
    payment_count = fields.Integer(readonly=True)
    amount_total = fields.Monetary(readonly=True, currency_field="currency_id")
    float_id = fields.Many2one("spp.ppm.float", readonly=True)

    _part_unique = models.Constraint(
        "UNIQUE(payroll_id, payment_point_id, part_no)",
        "A payment point's parts are numbered once per payroll.",
    )
