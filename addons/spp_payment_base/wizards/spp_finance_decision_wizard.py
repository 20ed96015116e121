# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Decisions only a Finance Manager takes, each with its reason: closing an
overpayment receivable, settling a payment the FSP cannot tell us about. The
models' own methods check the group; these forms only collect the reason."""

from odoo import fields, models

from ..models.spp_payment import UNKNOWN_DECISIONS
from ..models.spp_payment_overpayment import RESOLUTIONS


class SppPaymentOverpaymentResolve(models.TransientModel):
    _name = "spp.payment.overpayment.resolve"
    _description = "Resolve Overpayments"

    overpayment_ids = fields.Many2many(
        "spp.payment.overpayment",
        default=lambda self: self.env.context.get("active_ids"),
    )
    resolution = fields.Selection(RESOLUTIONS, required=True)
    note = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.overpayment_ids._spp_resolve(self.resolution, self.note)
        return {"type": "ir.actions.act_window_close"}


class SppPaymentUnknownDecision(models.TransientModel):
    _name = "spp.payment.unknown.decision"
    _description = "Decide an Unknown Payment"

    payment_ids = fields.Many2many(
        "spp.payment", default=lambda self: self.env.context.get("active_ids")
    )
    decision = fields.Selection(UNKNOWN_DECISIONS, required=True)
    note = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.payment_ids._spp_decide_unknown(self.decision, self.note)
        return {"type": "ir.actions.act_window_close"}
