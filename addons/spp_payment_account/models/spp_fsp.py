# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from .spp_program import check_account_configurer, write_accounts


class SppFsp(models.Model):
    _inherit = "spp.fsp"

    account_clearing_id = fields.Many2one(
        "account.account",
        string="Clearing Account",
        check_company=True,
        tracking=True,
        help="Money handed to this FSP and not yet paid out or returned.",
    )

    def write(self, vals):
        vals = write_accounts(self, vals, {"account_clearing_id"})
        return super().write(vals) if vals else True

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("account_clearing_id") for vals in vals_list):
            check_account_configurer(self.env)
        return super().create(vals_list)
