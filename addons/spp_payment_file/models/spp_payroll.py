# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    payment_file_ids = fields.One2many(
        "spp.payment.file", "payroll_id", string="Instruction Files", readonly=True
    )

    def action_open_reconciliation_import(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import FSP Reply"),
            "res_model": "spp.reconciliation.import",
            "view_mode": "form",
            "target": "new",
            "context": {"default_payroll_id": self.id},
        }
