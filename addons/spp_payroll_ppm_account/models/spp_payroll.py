# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.exceptions import UserError


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    def _spp_account_check_payments(self, payments):
        """Cash payments issue floats: their cash-in-hand account is needed
        before anything is sent."""
        result = super()._spp_account_check_payments(payments)
        program = self.program_id
        if (
            program.account_posting
            and "cash" in payments.fsp_id.mapped("provider")
            and not program.account_ppm_cash_id
        ):
            raise UserError(
                self.env._(
                    "%(payroll)s cannot be posted to accounting: set the PPM "
                    "cash-in-hand account of program %(program)s. Nothing was "
                    "posted.",
                    payroll=self.name,
                    program=program.name,
                )
            )
        return result
