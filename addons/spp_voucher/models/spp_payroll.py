# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    kind = fields.Selection(
        selection_add=[("voucher", "Voucher")], ondelete={"voucher": "cascade"}
    )
    voucher_count = fields.Integer(compute="_compute_voucher_count")

    def _compute_voucher_count(self):
        counts = dict(
            self.env["spp.voucher"]
            .sudo()
            ._read_group(
                [("payment_id.payroll_id", "in", self.ids)],
                ["payment_id.payroll_id"],
                ["__count"],
            )
        )
        for payroll in self:
            payroll.voucher_count = counts.get(payroll, 0)

    def _spp_kind_channels(self):
        return {**super()._spp_kind_channels(), "voucher": "voucher"}

    def _on_spp_approved(self):
        result = super()._on_spp_approved()
        for payroll in self.filtered(lambda p: p.kind == "voucher"):
            self.env["spp.voucher"]._spp_generate(payroll)
        return result

    def action_execute(self):
        if self.kind == "voucher":
            raise UserError(
                self.env._(
                    "A voucher payroll is paid by its vouchers' redemptions, not "
                    "sent to an FSP."
                )
            )
        return super().action_execute()

    def action_view_vouchers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "spp_voucher.action_spp_voucher"
        )
        action["domain"] = [("payment_id.payroll_id", "=", self.id)]
        return action
