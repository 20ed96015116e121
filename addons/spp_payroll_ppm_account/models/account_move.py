# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

CASCADE = "cascade"


class AccountMove(models.Model):
    _inherit = "account.move"

    spp_event = fields.Selection(
        selection_add=[
            ("ppm_float_issued", "PPM Float Issued"),
            ("ppm_cash_paid", "PPM Cash Paid Out"),
            ("ppm_float_returned", "PPM Float Returned"),
        ],
        ondelete={
            "ppm_float_issued": CASCADE,
            "ppm_cash_paid": CASCADE,
            "ppm_float_returned": CASCADE,
        },
    )
    spp_ppm_float_id = fields.Many2one(
        "spp.ppm.float", string="PPM Float", readonly=True, index="btree_not_null"
    )


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    spp_bucket = fields.Selection(
        selection_add=[
            ("ppm_issued", "PPM Float Issued"),
            ("ppm_handed_out", "PPM Cash Paid Out"),
            ("ppm_returned", "PPM Float Returned"),
            ("ppm_clearing", "FSP Clearing of PPM Floats"),
        ],
        ondelete={
            "ppm_issued": CASCADE,
            "ppm_handed_out": CASCADE,
            "ppm_returned": CASCADE,
            "ppm_clearing": CASCADE,
        },
    )
