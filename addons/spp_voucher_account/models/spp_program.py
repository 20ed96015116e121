# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError


class SppProgram(models.Model):
    _inherit = "spp.program"

    account_voucher_id = fields.Many2one(
        "account.account",
        string="Voucher Clearing Account",
        check_company=True,
        tracking=True,
        help="What the program owes on its vouchers: issued, less what expired "
        "or was cancelled, less what merchants were settled.",
    )

    def _spp_account_fields(self):
        return super()._spp_account_fields() | {"account_voucher_id"}

    def _spp_voucher_accounts(self, document, *extra):
        """(journal, voucher clearing, *extra accounts) or a UserError naming
        what is missing: nothing is posted to a wrong account."""
        self.ensure_one()
        named = [
            (self.env._("journal"), self.account_journal_id),
            (self.env._("voucher clearing account"), self.account_voucher_id),
            *extra,
        ]
        missing = [label for label, value in named if not value]
        if missing:
            raise UserError(
                self.env._(
                    "%(document)s cannot be posted to accounting: set the "
                    "%(missing)s of program %(program)s. Nothing was posted.",
                    document=document,
                    missing=", ".join(missing),
                    program=self.name,
                )
            )
        return [value for _label, value in named]
