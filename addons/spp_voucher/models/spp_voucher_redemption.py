# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppVoucherRedemption(models.Model):
    """The ledger: every change of a voucher's balance, one row each, keyed on
    the client's transaction UUID (a repeated UUID returns the first row)."""

    _name = "spp.voucher.redemption"
    _description = "Voucher Redemption"
    _order = "id desc"

    voucher_id = fields.Many2one(
        "spp.voucher", required=True, readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="voucher_id.company_id", store=True)
    currency_id = fields.Many2one(related="voucher_id.currency_id")
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
    reversal_reason = fields.Text(readonly=True)
    settlement_id = fields.Integer(
        readonly=True, help="Set by spp_voucher_settlement (a Many2one there)."
    )

    _txn_uuid_unique = models.Constraint(
        "UNIQUE(txn_uuid)", "A transaction is recorded once."
    )
