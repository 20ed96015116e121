# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppMerchant(models.Model):
    """A shop approved to accept vouchers, reimbursed by the program."""

    _name = "spp.merchant"
    _inherit = ["spp.approval.mixin", "mail.activity.mixin"]
    _description = "Voucher Merchant"
    _order = "name, id"

    name = fields.Char(related="partner_id.name", store=True)
    partner_id = fields.Many2one(
        "res.partner", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    category_ids = fields.Many2many("spp.merchant.category", string="Categories")
    limit_per_transaction = fields.Monetary(currency_field="currency_id")
    limit_per_day = fields.Monetary(currency_field="currency_id")
    state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended")],
        default="active",
        required=True,
        tracking=True,
    )


class SppMerchantCategory(models.Model):
    _name = "spp.merchant.category"
    _description = "Merchant Category"

    name = fields.Char(required=True)
    code = fields.Char(required=True)
