# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppPaymentPoint(models.Model):
    """A place where a payment point manager hands out cash, serving the
    members its criteria select."""

    _name = "spp.payment.point"
    _inherit = ["spp.approval.mixin", "mail.activity.mixin"]
    _description = "Payment Point"
    _order = "code, id"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(required=True, tracking=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    program_id = fields.Many2one(
        "spp.program", index=True, help="Empty: the point serves any program."
    )
    area_id = fields.Many2one("spp.area", index=True, tracking=True)
    address = fields.Char(tracking=True)
    latitude = fields.Float(digits=(10, 7), tracking=True)
    longitude = fields.Float(digits=(10, 7), tracking=True)
    radius_m = fields.Integer(
        string="Radius (m)", default=500, help="Payments recorded farther are flagged."
    )
    capacity = fields.Integer(help="Beneficiaries the point can serve per cycle.")
    # A domain on spp.program.membership: who this point serves.
    criteria_domain = fields.Char(string="Criteria", default="[]", tracking=True)
    state = fields.Selection(
        [("active", "Active"), ("closed", "Closed")],
        default="active",
        required=True,
        tracking=True,
    )
    manager_ids = fields.Many2many(
        "spp.payment.point.manager",
        "spp_payment_point_manager_rel",
        "point_id",
        "manager_id",
        string="Managers",
    )

    _code_unique = models.Constraint(
        "UNIQUE(company_id, code)", "A payment point code is unique per company."
    )
