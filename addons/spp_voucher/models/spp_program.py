# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import voucher_token as vt

from odoo import fields, models
from odoo.tools import SQL


class SppProgram(models.Model):
    _inherit = "spp.program"

    voucher_validity_days = fields.Integer(
        string="Voucher Validity (days)",
        default=90,
        help="A voucher is valid from its issue for this many days.",
    )
    voucher_category_ids = fields.Many2many(
        "spp.merchant.category",
        string="Voucher Merchant Categories",
        help="Where the program's vouchers are spent (empty: any category).",
    )
    voucher_merchant_ids = fields.Many2many(
        "spp.merchant",
        string="Voucher Merchants",
        help="Only these merchants take the program's vouchers (empty: any).",
    )
    # The codes derive from it (HMAC of the voucher id): whoever reads it can
    # compute every code of the program. Payments Administrators only.
    voucher_code_secret = fields.Char(
        readonly=True, copy=False, groups="spp_payment_base.group_spp_admin"
    )
    voucher_key_ids = fields.One2many(
        "spp.voucher.key", "program_id", string="Voucher Keys", readonly=True
    )

    def _spp_voucher_secret(self):
        """The program's code secret, made on first use (in SQL: an approved
        program is read-only, and the secret is no edit of it)."""
        self.ensure_one()
        program = self.sudo()
        if not program.voucher_code_secret:
            self.env.cr.execute(
                SQL(
                    "UPDATE spp_program SET voucher_code_secret = %s "
                    "WHERE id = %s AND voucher_code_secret IS NULL",
                    vt.new_secret(),
                    self.id,
                )
            )
            program.invalidate_recordset(["voucher_code_secret"])
        return program.voucher_code_secret
