# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .spp_program import write_accounts


class ResCompany(models.Model):
    _inherit = "res.company"

    spp_overpayment_account_id = fields.Many2one(
        "account.account",
        string="SPP Overpayment Receivable Account",
        check_company=True,
        help="Default account of the receivables for money paid above what a "
        "program meant to pay (a program may set its own).",
    )

    def write(self, vals):
        vals = write_accounts(self, vals, {"spp_overpayment_account_id"})
        return super().write(vals) if vals else True
