# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class SppPayrollExecuteWizard(models.TransientModel):
    """Total to pay per FSP against each FSP account's balance, before sending."""

    _name = "spp.payroll.execute.wizard"
    _description = "Execute Payroll"

    payroll_id = fields.Many2one("spp.payroll", required=True, ondelete="cascade")
    line_ids = fields.One2many("spp.payroll.execute.wizard.line", "wizard_id")
    can_execute = fields.Boolean(compute="_compute_can_execute")

    @api.depends("line_ids.sufficient")
    def _compute_can_execute(self):
        for wizard in self:
            wizard.can_execute = all(wizard.line_ids.mapped("sufficient"))

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard.line_ids = [
                (
                    0,
                    0,
                    {
                        "fsp_id": line["fsp_id"],
                        "to_pay": line["to_pay"],
                        "balance": line["balance"] or 0.0,
                        "balance_known": line["balance"] is not None,
                        "sufficient": line["sufficient"],
                    },
                )
                for line in wizard.payroll_id.action_check_balances()
            ]
        return wizards

    def action_confirm(self):
        self.ensure_one()
        # action_execute checks the balances again: they may have moved.
        self.payroll_id.action_execute()
        return {"type": "ir.actions.act_window_close"}


class SppPayrollExecuteWizardLine(models.TransientModel):
    _name = "spp.payroll.execute.wizard.line"
    _description = "Execute Payroll: FSP Balance"

    wizard_id = fields.Many2one(
        "spp.payroll.execute.wizard", required=True, ondelete="cascade"
    )
    fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True)
    currency_id = fields.Many2one(related="fsp_id.currency_id")
    to_pay = fields.Monetary(readonly=True)
    balance = fields.Monetary(readonly=True)
    balance_known = fields.Boolean(readonly=True)
    sufficient = fields.Boolean(readonly=True)
