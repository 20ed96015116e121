# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL


class SppPayrollRun(models.Model):
    _inherit = "spp.payroll.run"

    account_move_ids = fields.One2many(
        "account.move", "spp_run_id", string="Journal Entries", readonly=True
    )

    def _spp_start(self, payroll, payments, kind, skipped=None, held=None):
        # Refused before the run exists, if an account is missing.
        payroll._spp_account_check_payments(payments)
        run = super()._spp_start(payroll, payments, kind, skipped=skipped, held=held)
        # The money leaves the fund for the FSPs when the run starts: one entry
        # per FSP and currency for the payments it sends (not those whose
        # earlier amount the FSP still holds).
        payroll._spp_account_post(
            "execution",
            run=run,
            sending=SQL("p.id IN (SELECT unnest(%s::int[]))", list(payments.ids)),
        )
        return run
