# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

VOUCHER_STATES = [
    ("active", "Active"),
    ("partial", "Partially Redeemed"),
    ("redeemed", "Redeemed"),
    ("suspended", "Suspended"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]


class SppVoucher(models.Model):
    """A voucher issued for one payment of a voucher payroll. Its balance moves
    only through the redemption ledger's one locked method; the database keeps
    only a hash of its secret code."""

    _name = "spp.voucher"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Voucher"
    _order = "id desc"

    name = fields.Char(string="Number", required=True, readonly=True, index=True)
    payment_id = fields.Many2one(
        "spp.payment", required=True, readonly=True, index=True, ondelete="restrict"
    )
    program_id = fields.Many2one("spp.program", required=True, readonly=True)
    cycle_id = fields.Many2one("spp.payment.cycle", readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Beneficiary", required=True, readonly=True, index=True
    )
    collector_id = fields.Many2one("res.partner", string="Alternate Collector")
    amount = fields.Monetary(required=True, readonly=True)
    balance = fields.Monetary(required=True, readonly=True)
    valid_from = fields.Date(required=True, readonly=True)
    valid_until = fields.Date(required=True, readonly=True, index=True)
    merchant_category_ids = fields.Many2many(
        "spp.merchant.category", string="Merchant Categories"
    )
    merchant_ids = fields.Many2many("spp.merchant", string="Allowed Merchants")
    key_id = fields.Many2one("spp.voucher.key", readonly=True)
    # sha256 of the secret code; the code itself is shown once (card, message).
    code_hash = fields.Char(readonly=True, index=True, copy=False)
    state = fields.Selection(
        VOUCHER_STATES, default="active", required=True, readonly=True, index=True
    )
    redemption_ids = fields.One2many(
        "spp.voucher.redemption", "voucher_id", readonly=True
    )

    _balance_not_negative = models.Constraint(
        "CHECK(balance >= 0 AND balance <= amount)",
        "A voucher's balance stays between zero and its amount.",
    )
