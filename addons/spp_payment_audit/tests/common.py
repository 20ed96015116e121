# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import dataclasses
import io

from openpyxl import load_workbook
from spp_payment_core.outcomes import Outcome

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import SppPayrollCommon, perform_jobs


class SppAuditCommon(SppPayrollCommon):
    """An executed payroll: HH-0001 paid at once; HH-0002 failed, retried and
    paid; HH-0003 rejected, retried and failed again; HH-0004 and HH-0005 sent,
    no answer yet (and the payment point member, approved, not sent)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households[4].name = "=SUM(A1:A9)"  # a formula in a name
        cls.payroll = cls._approved_payroll(name="Audit Payroll")
        cls._run(cls.payroll, "action_execute")
        cls._answer(
            {
                "HH-0001": Outcome("", "paid", "Completed", receipt="R-0001"),
                "HH-0002": Outcome("", "failed", "Failed", "AC04", "Closed account"),
                "HH-0003": Outcome("", "rejected", "Rejected", "RC01"),
            }
        )
        cls._run(cls.payroll, "action_retry_failed")
        cls._answer(
            {
                "HH-0002": Outcome("", "paid", "Completed", receipt="R-0002"),
                "HH-0003": Outcome("", "failed", '=HYPERLINK("http://x")', "AM04"),
            }
        )
        cls.payments = cls.payroll.payment_ids

    @classmethod
    def _run(cls, payroll, method):
        with trap_jobs() as trap:
            getattr(payroll.with_user(cls.users["finance_officer"]), method)()
            perform_jobs(trap)

    @classmethod
    def _answer(cls, outcomes):
        """The FSP's answers for the current attempts of the households named."""
        answers = []
        for payment in cls.payroll.payment_ids:
            outcome = outcomes.get(payment.partner_id.registrant_number)
            if outcome:
                key = payment.current_attempt_id.idempotency_key
                answers.append(dataclasses.replace(outcome, key=key))
        cls.fsp._spp_apply_outcomes(answers)
        cls.payroll.payment_ids.invalidate_recordset()

    @staticmethod
    def _sheets(attachment):
        """{sheet name: [row tuples]} of an XLSX attachment, header first."""
        book = load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        return {
            sheet.title: list(sheet.iter_rows(values_only=True))
            for sheet in book.worksheets
        }
