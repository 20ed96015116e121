# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError


class SppVoucherSend(models.TransientModel):
    """The screen that sends a payroll's vouchers (or the selected ones)
    through a notification provider: spp.voucher.action_send does the work,
    its rights and its once-only rule apply."""

    _name = "spp.voucher.send"
    _description = "Send Vouchers"

    payroll_id = fields.Many2one("spp.payroll", readonly=True)
    voucher_ids = fields.Many2many("spp.voucher", readonly=True)
    provider_id = fields.Many2one(
        "spp.notification.provider", string="Send Through", required=True
    )
    voucher_count = fields.Integer(compute="_compute_voucher_count")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "spp.voucher" and context.get("active_ids"):
            values.setdefault(
                "voucher_ids", [fields.Command.set(context["active_ids"])]
            )
        return values

    @api.depends("payroll_id", "voucher_ids")
    def _compute_voucher_count(self):
        for wizard in self:
            wizard.voucher_count = len(wizard._spp_vouchers())

    def _spp_vouchers(self):
        self.ensure_one()
        if self.payroll_id:
            return self.payroll_id._spp_vouchers()
        return self.voucher_ids

    def action_send(self):
        self.ensure_one()
        vouchers = self._spp_vouchers()
        if not vouchers:
            raise UserError(self.env._("There is no voucher to send."))
        deliveries = vouchers.action_send(self.provider_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if deliveries else "warning",
                "message": self.env._(
                    "%(queued)s of %(count)s vouchers queued for sending through "
                    "%(provider)s (vouchers already sent are skipped: retry "
                    "their failed deliveries instead).",
                    queued=len(deliveries),
                    count=len(vouchers),
                    provider=self.provider_id.name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
