# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppApprovalRejectWizard(models.TransientModel):
    _name = "spp.approval.reject.wizard"
    _description = "Reject a Submitted Document"

    res_model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        # The document's own action_reject enforces every rule.
        self.env[self.res_model].browse(self.res_id).action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
