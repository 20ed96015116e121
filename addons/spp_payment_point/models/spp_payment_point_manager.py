# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppPaymentPointManager(models.Model):
    """A person who carries cash to payment points and hands it out: a portal
    user in the PPM group, who never reads the registry through the web client
    (the PPM app's controllers serve them their own assignments only)."""

    _name = "spp.payment.point.manager"
    _inherit = ["spp.approval.mixin", "mail.activity.mixin"]
    _description = "Payment Point Manager"
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    user_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="restrict", tracking=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    phone = fields.Char(tracking=True)
    id_number = fields.Char(string="ID Number", tracking=True)
    point_ids = fields.Many2many(
        "spp.payment.point",
        "spp_payment_point_manager_rel",
        "manager_id",
        "point_id",
        string="Payment Points",
    )
    state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended")],
        default="active",
        required=True,
        tracking=True,
    )

    _user_unique = models.Constraint(
        "UNIQUE(user_id)", "A user manages payment points under one record only."
    )
