# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.spp_payment_base.tools import (
    guarded_write,
    is_guarded_write,
    refuse_fields,
    refuse_records,
)
from odoo.addons.spp_voucher.models.spp_voucher import LEDGER_GUARD

# Scope of guarded_write() under which only the settlement's own code links
# redemptions to settlements (a context variable: RPC cannot send it).
SETTLEMENT_GUARD = "voucher_settlement"
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"


class SppVoucherRedemption(models.Model):
    _inherit = "spp.voucher.redemption"

    # The skeleton's Integer placeholder becomes the link: one column, so a
    # redemption belongs to one settlement at most, and the settlement's code
    # only ever fills an empty one (see spp.merchant.settlement._spp_collect).
    settlement_id = fields.Many2one(
        "spp.merchant.settlement",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        copy=False,
        help="The merchant settlement that reimbursed (or listed) this redemption.",
    )
    is_disputed = fields.Boolean(
        string="Disputed",
        readonly=True,
        copy=False,
        help="Held out of settlements until a Finance Manager resolves it.",
    )
    dispute_note = fields.Text(readonly=True, copy=False)

    def write(self, vals):
        if not is_guarded_write(SETTLEMENT_GUARD):
            refuse_fields(
                {"settlement_id"} & vals.keys(),
                self.env._(
                    "Redemptions are linked to settlements by the settlement; %s "
                    "cannot be written."
                ),
            )
        return super().write(vals)

    def _spp_check_reversible(self):
        """A redemption in a settlement submitted for approval or being paid
        is not reversed: the amount approved and paid to the merchant would
        no longer match its redemptions."""
        res = super()._spp_check_reversible()
        settlement = self.sudo().settlement_id
        if settlement and settlement.approval_state != "draft":
            raise UserError(
                self.env._(
                    "Redemption %(ref)s is in settlement %(settlement)s, submitted "
                    "or paid: it can no longer be reversed.",
                    ref=self.txn_uuid,
                    settlement=settlement.name,
                )
            )
        return res

    def _spp_reverse(self, reason, amount=None, key=None):
        reversal = super()._spp_reverse(reason, amount=amount, key=key)
        # A draft settlement listing it totals it again.
        settlement = self.sudo().settlement_id
        if settlement:
            settlement._spp_compute_totals()
        return reversal

    def action_dispute(self, note):
        """Hold these redemptions out of settlements (a merchant or the program
        contests them). Settled ones cannot be disputed here any more."""
        self._spp_check_manager()
        refuse_records(
            self.filtered("settlement_id"),
            self.env._("Already in a settlement, not disputable: %s."),
        )
        self._spp_write_dispute({"is_disputed": True, "dispute_note": note})

    def action_resolve_dispute(self, note=None):
        self._spp_check_manager()
        for redemption in self:
            redemption._spp_write_dispute(
                {"is_disputed": False, "dispute_note": note or redemption.dispute_note}
            )

    def _spp_write_dispute(self, vals):
        # A dispute annotates the ledger's row; it moves no balance.
        with guarded_write(LEDGER_GUARD):
            self.sudo().write(vals)

    def _spp_check_manager(self):
        if not self.env.su and not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(self.env._("Only Finance Managers decide disputes."))
