# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppFsp(models.Model):
    """Cash handed out by payment point managers is a provider like any FSP, so
    a payroll's per-FSP summaries and reports include it."""

    _inherit = "spp.fsp"

    provider = fields.Selection(
        selection_add=[("cash", "Cash at Payment Points")],
        ondelete={"cash": "set default"},
    )
