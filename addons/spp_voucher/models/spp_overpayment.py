# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppPaymentOverpayment(models.Model):
    _inherit = "spp.payment.overpayment"

    kind = fields.Selection(
        selection_add=[("voucher_double", "Voucher Spent Twice (offline)")],
        ondelete={"voucher_double": "cascade"},
    )
    source = fields.Selection(
        selection_add=[("voucher", "Voucher Redemption")],
        ondelete={"voucher": "cascade"},
    )
