# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .spp_payroll import OVERPAYMENT_POSITIONS

_logger = logging.getLogger(__name__)


class SppPaymentOverpayment(models.Model):
    _inherit = "spp.payment.overpayment"

    def _spp_payrolls(self):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT p.payroll_id FROM spp_payment_overpayment o "
                "JOIN spp_payment p ON p.id = o.payment_id "
                "WHERE o.id = ANY(%s) AND p.payroll_id IS NOT NULL",
                list(self.ids),
            )
        )
        return self.env["spp.payroll"].browse(
            sorted(row[0] for row in self.env.cr.fetchall())
        )

    def _spp_record_sql(self, rows):
        new = super()._spp_record_sql(rows)
        if new and not self.env.context.get("spp_account_defer"):
            # Reported by a callback or a status query: the receivable is posted
            # now when the accounts are set; otherwise it waits for the next
            # entry of its payroll, which refuses until they are. A report
            # of the FSP is never refused for the books.
            try:
                with self.env.cr.savepoint():
                    new._spp_payrolls()._spp_account_post(
                        "overpayment", positions=OVERPAYMENT_POSITIONS
                    )
            except UserError as error:
                _logger.info("Overpayments not posted yet: %s", error)
        return new

    def _spp_resolve(self, resolution, note):
        result = super()._spp_resolve(resolution, note)
        # Recovered into the fund, written off as paid, or found not to be an
        # overpayment: refused with the resolution if an account is missing.
        self._spp_payrolls()._spp_account_post(
            "overpayment_resolution", positions=OVERPAYMENT_POSITIONS
        )
        return result
