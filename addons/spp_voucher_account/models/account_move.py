# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

EVENTS = [
    ("voucher_issue", "Vouchers Issued"),
    ("voucher_release", "Voucher Balances Released"),
    ("merchant_settlement", "Merchant Settlement"),
]
BUCKETS = [
    ("voucher_issued", "Vouchers Issued"),
    ("voucher_released", "Voucher Balances Released"),
    ("voucher_fund", "Taken from the Fund for Vouchers"),
    ("settlement_clearing", "Settlement Held by the FSP"),
    ("settlement_paid", "Settlement Paid to the Merchant"),
    ("voucher_settled", "Vouchers Settled to Merchants"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    spp_event = fields.Selection(
        selection_add=EVENTS, ondelete={key: "cascade" for key, _label in EVENTS}
    )
    spp_merchant_settlement_id = fields.Many2one(
        "spp.merchant.settlement",
        string="Merchant Settlement",
        readonly=True,
        index="btree_not_null",
    )
    spp_voucher_release_ids = fields.One2many(
        "spp.voucher.release",
        "account_move_id",
        string="Voucher Releases",
        readonly=True,
    )


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    spp_bucket = fields.Selection(
        selection_add=BUCKETS, ondelete={key: "cascade" for key, _label in BUCKETS}
    )
