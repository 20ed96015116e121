# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    payment_file_ids = fields.One2many(
        "spp.payment.file", "payroll_id", string="Instruction Files", readonly=True
    )
    count_files = fields.Integer(
        string="Instruction File Count", compute="_compute_counts"
    )

    def _spp_count_columns(self):
        return {
            **super()._spp_count_columns(),
            "count_files": SQL(
                "(SELECT COUNT(*) FROM spp_payment_file f WHERE f.payroll_id = pr.id)"
            ),
        }

    def action_view_payment_files(self):
        return self._spp_open_list(
            "spp.payment.file",
            self.env._("Instruction files of %s", self.name),
            [("payroll_id", "=", self.id)],
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
