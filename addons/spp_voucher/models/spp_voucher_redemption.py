# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.spp_payment_base.tools import is_guarded_write

from .spp_voucher import LEDGER_GUARD


class SppVoucherRedemption(models.Model):
    """The ledger: every change of a voucher's balance, one row each, keyed on
    the client's transaction UUID (a repeated UUID returns the first row)."""

    _name = "spp.voucher.redemption"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Voucher Redemption"
    _order = "id desc"
    _rec_name = "txn_uuid"

    voucher_id = fields.Many2one(
        "spp.voucher", required=True, readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="voucher_id.company_id", store=True)
    currency_id = fields.Many2one(related="voucher_id.currency_id")
    partner_id = fields.Many2one(
        related="voucher_id.partner_id", string="Beneficiary", readonly=True
    )
    merchant_id = fields.Many2one("spp.merchant", readonly=True, index=True)
    device = fields.Char(readonly=True)
    cashier_id = fields.Many2one("res.users", readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    txn_uuid = fields.Char(string="Transaction UUID", required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    offline = fields.Boolean(readonly=True)
    channel = fields.Selection(
        [("pos", "Point of Sale"), ("id", "ID Redemption"), ("api", "API")],
        required=True,
        readonly=True,
        default="api",
    )
    # authorized: a POS hold, captured in the order's own transaction or
    # released; captured: the balance moved; reversed: moved back, with a reason.
    state = fields.Selection(
        [
            ("authorized", "Held"),
            ("captured", "Redeemed"),
            ("released", "Released"),
            ("reversed", "Reversed"),
            ("conflict", "Double Spend (offline)"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    # Partial reversals add up here; the row is "reversed" once all of it is.
    reversed_amount = fields.Monetary(readonly=True, default=0, copy=False)
    reversal_ids = fields.One2many(
        "spp.voucher.reversal", "redemption_id", string="Reversals", readonly=True
    )
    # The last reversal's reason, user and time (each is kept on its reversal).
    reversal_reason = fields.Text(readonly=True)
    reversed_by_id = fields.Many2one("res.users", readonly=True)
    reversed_date = fields.Datetime(readonly=True)
    limit_alert = fields.Text(
        readonly=True,
        copy=False,
        help="Set when an offline redemption synced beyond a till's or cashier's "
        "limit: accepted (the goods were gone), flagged for a Finance Manager.",
    )
    settlement_id = fields.Integer(
        readonly=True, help="Set by spp_voucher_settlement (a Many2one there)."
    )

    _txn_uuid_unique = models.Constraint(
        "UNIQUE(txn_uuid)", "A transaction is recorded once."
    )
    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "A redemption moves a positive amount."
    )
    _reversed_within_amount = models.Constraint(
        "CHECK(reversed_amount >= 0 AND reversed_amount <= amount)",
        "A redemption is reversed by at most its amount.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(LEDGER_GUARD):
            raise UserError(
                self.env._("Redemptions are recorded by the voucher ledger only.")
            )
        return super().create(vals_list)

    def write(self, vals):
        edited = [n for n in vals if not n.startswith(("message_", "activity_"))]
        # settlement_id belongs to spp_voucher_settlement, which guards it.
        if not is_guarded_write(LEDGER_GUARD) and set(edited) - {"settlement_id"}:
            raise UserError(
                self.env._("A redemption is evidence: it changes through the ledger.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Redemptions are kept for audit."))


class SppVoucherReversal(models.Model):
    """One reversal of (part of) a captured redemption, with its reason; keyed
    so that a repeated request (a POS order synced again) reverses once."""

    _name = "spp.voucher.reversal"
    _description = "Voucher Redemption Reversal"
    _order = "id desc"
    _rec_name = "key"

    redemption_id = fields.Many2one(
        "spp.voucher.redemption",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    voucher_id = fields.Many2one(related="redemption_id.voucher_id")
    company_id = fields.Many2one(related="redemption_id.company_id", store=True)
    currency_id = fields.Many2one(related="redemption_id.currency_id")
    amount = fields.Monetary(required=True, readonly=True)
    key = fields.Char(required=True, readonly=True)
    reason = fields.Text(required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Reversed By", readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)

    _key_unique = models.Constraint("UNIQUE(key)", "A reversal is recorded once.")
    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "A reversal gives back a positive amount."
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(LEDGER_GUARD):
            raise UserError(
                self.env._("Reversals are recorded by the voucher ledger only.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_guarded_write(LEDGER_GUARD):
            raise UserError(self.env._("A reversal is evidence: it is not edited."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Reversals are kept for audit."))
