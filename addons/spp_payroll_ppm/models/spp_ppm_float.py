# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppPpmFloat(models.Model):
    """The cash a PPM carries for one part of a payment point in a cycle:
    issued at execution, handed out as synced payments are accepted, the rest
    returned. Variance = issued - handed out - returned, zero or explained
    before the cycle's PPM payrolls close."""

    _name = "spp.ppm.float"
    _inherit = ["mail.thread"]
    _description = "PPM Cash Float"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    manager_id = fields.Many2one(
        "spp.payment.point.manager", string="PPM", required=True, index=True
    )
    cycle_id = fields.Many2one("spp.payment.cycle", required=True, index=True)
    payroll_id = fields.Many2one("spp.payroll", required=True, index=True)
    payroll_point_id = fields.Many2one("spp.payroll.point", readonly=True)
    payment_point_id = fields.Many2one("spp.payment.point", required=True)
    company_id = fields.Many2one(related="payroll_id.company_id", store=True)
    currency_id = fields.Many2one(related="payroll_id.currency_id")
    amount_issued = fields.Monetary(readonly=True, currency_field="currency_id")
    amount_handed_out = fields.Monetary(readonly=True, currency_field="currency_id")
    amount_returned = fields.Monetary(readonly=True, currency_field="currency_id")
    variance = fields.Monetary(readonly=True, currency_field="currency_id")
    variance_note = fields.Text(tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        default="open",
        required=True,
        tracking=True,
    )
