# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core.reconcile import Line

from odoo.addons.spp_payroll.tests.common import SppPayrollCommon


class SppReconciliationCommon(SppPayrollCommon):
    """An approved payroll sent through the fixture's FSP, and bank replies
    about its payments, imported and submitted by a maker."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payroll = cls._approved_payroll()
        cls.payments = cls.payroll.payment_ids.filtered(lambda p: p.fsp_id == cls.fsp)
        cls.payments.sudo()._spp_send()

    def _batch(self, outcomes, user="finance_officer", payments=None):
        lines = [
            Line(
                row,
                payment.id,
                outcome,
                Decimal(str(payment.amount)) if outcome == "paid" else None,
                None,
                f"RCPT-{row}" if outcome == "paid" else "",
                "" if outcome == "paid" else "account closed",
            )
            for row, (payment, outcome) in enumerate(
                zip(payments or self.payments, outcomes, strict=False), start=2
            )
        ]
        batch = (
            self.env["spp.reconciliation"]
            .with_user(self.users[user])
            ._spp_create_batch(
                {
                    "name": "Bank reply",
                    "source": "file",
                    "program_id": self.program.id,
                    "payroll_id": self.payroll.id,
                    "fsp_id": self.fsp.id,
                },
                lines,
            )
        )
        batch.with_user(self.users[user]).action_submit()
        return batch
