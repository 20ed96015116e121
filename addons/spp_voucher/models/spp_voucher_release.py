# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.spp_payment_base.tools import is_guarded_write

from .spp_voucher import LEDGER_GUARD


class SppVoucherRelease(models.Model):
    """What an expired or cancelled voucher left goes back to its cycle's
    budget, one row each; a re-issue takes it again (a negative row)."""

    _name = "spp.voucher.release"
    _description = "Voucher Balance Released"
    _order = "id desc"

    voucher_id = fields.Many2one(
        "spp.voucher", required=True, readonly=True, index=True, ondelete="restrict"
    )
    cycle_id = fields.Many2one(
        "spp.payment.cycle", readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    kind = fields.Selection(
        [
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
            ("reissued", "Re-issued"),
        ],
        required=True,
        readonly=True,
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(LEDGER_GUARD):
            raise UserError(self.env._("Releases are recorded by the ledger only."))
        vouchers = self.env["spp.voucher"].browse(
            [vals["voucher_id"] for vals in vals_list]
        )
        for vals, voucher in zip(vals_list, vouchers, strict=True):
            vals.update(
                cycle_id=voucher.cycle_id.id,
                company_id=voucher.company_id.id,
                currency_id=voucher.currency_id.id,
            )
        return super().create(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._("A release is a record: it does not change."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Releases are kept for audit."))


class SppPaymentCycle(models.Model):
    _inherit = "spp.payment.cycle"

    voucher_released_amount = fields.Monetary(
        string="Released by Vouchers",
        compute="_compute_voucher_released_amount",
        currency_field="currency_id",
        help="Balances of expired and cancelled vouchers back in the budget, "
        "less what re-issues took again.",
    )

    def _compute_voucher_released_amount(self):
        totals = dict(
            self.env["spp.voucher.release"]
            .sudo()
            ._read_group([("cycle_id", "in", self.ids)], ["cycle_id"], ["amount:sum"])
        )
        for cycle in self:
            cycle.voucher_released_amount = totals.get(cycle, 0.0)
