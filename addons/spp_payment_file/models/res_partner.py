# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    spp_reported_deceased = fields.Boolean(
        string="Reported Deceased by Bank",
        readonly=True,
        help="A bank returned a payment with reason MD07 (end customer deceased). "
        "Check and update the registry.",
    )
    spp_reported_deceased_date = fields.Date(readonly=True)
