# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppProgram(models.Model):
    _inherit = "spp.program"

    account_ppm_cash_id = fields.Many2one(
        "account.account",
        string="PPM Cash-in-Hand Account",
        check_company=True,
        tracking=True,
        help="Cash the payment point managers carry: their floats issued, less "
        "what they paid out and returned.",
    )

    def _spp_account_fields(self):
        return super()._spp_account_fields() | {"account_ppm_cash_id"}
