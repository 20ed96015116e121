# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The bank's reply to a merchant settlement's payment, imported by
spp_payment_file's reply import (same parsers, same checks, the same
maker-checked reconciliation batch): the reply names the settlement's
payment instead of a payroll's."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class SppReconciliationImport(models.TransientModel):
    _inherit = "spp.reconciliation.import"

    # A reply is for a payroll or for a merchant settlement (see _spp_scope).
    payroll_id = fields.Many2one(required=False)
    merchant_settlement_id = fields.Many2one(
        "spp.merchant.settlement",
        domain=[("state", "=", "approved")],
    )

    @api.onchange("merchant_settlement_id")
    def _onchange_merchant_settlement_id(self):
        if self.merchant_settlement_id:
            self.fsp_id = self.merchant_settlement_id.fsp_id

    def _spp_scope(self):
        settlement = self.merchant_settlement_id
        if settlement and self.payroll_id:
            raise UserError(
                self.env._(
                    "A reply is for a payroll or for a merchant settlement, not both."
                )
            )
        if not settlement:
            if not self.payroll_id:
                raise UserError(
                    self.env._(
                        "Choose the payroll or the merchant settlement the reply "
                        "is for."
                    )
                )
            return super()._spp_scope()
        if not settlement.payment_id:
            raise UserError(
                self.env._("%s has no payment to reconcile yet.", settlement.name)
            )
        return (
            False,
            settlement.program_id,
            SQL("p.merchant_settlement_id = %s", settlement.id),
        )
