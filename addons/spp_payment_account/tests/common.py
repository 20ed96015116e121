# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core.reconcile import Line

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs


class SppAccountCommon:
    """Books for the fixture's program (mixed into a payroll test class,
    before it), and the helpers of the books' tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._spp_setup_books()

    @classmethod
    def _spp_setup_books(cls):
        """A fund, expense, clearing and receivable account, a journal, the
        program posting to them and the FSP clearing to its account."""
        account = cls.env["account.account"]
        cls.fund_account = account.create(
            {"name": "Child Grant Fund", "code": "SPP100", "account_type": "equity"}
        )
        cls.expense_account = account.create(
            {"name": "Child Grant Paid", "code": "SPP600", "account_type": "expense"}
        )
        cls.clearing_account = account.create(
            {
                "name": "Manual Bank Clearing",
                "code": "SPP120",
                "account_type": "asset_current",
            }
        )
        cls.receivable_account = account.create(
            {
                "name": "Overpayments Receivable",
                "code": "SPP130",
                "account_type": "asset_current",
            }
        )
        cls.journal = cls.env["account.journal"].create(
            {"name": "Social Protection", "code": "SPP", "type": "general"}
        )
        manager = cls.users["finance_manager"]
        cls.program.with_user(manager).write(
            {
                "account_posting": True,
                "account_journal_id": cls.journal.id,
                "account_expense_id": cls.expense_account.id,
                "account_fund_id": cls.fund_account.id,
            }
        )
        cls.fsp.with_user(manager).account_clearing_id = cls.clearing_account
        cls.env.company.with_user(
            cls.users["admin"]
        ).spp_overpayment_account_id = cls.receivable_account
        cls.finance = cls.users["finance_officer"]

    # Helpers ------------------------------------------------------------------

    def _execute(self, payroll, method="action_execute"):
        with trap_jobs() as trap:
            run = getattr(payroll.with_user(self.finance), method)()
            perform_jobs(trap)
        return run

    def _reconcile(self, payroll, outcomes, fsp=None):
        """A bank reply of ``fsp`` (the manual bank): {payment: outcome or
        (outcome, paid amount in the FSP's currency)}, accepted by a checker."""
        lines = []
        for row, (payment, outcome) in enumerate(outcomes.items(), start=2):
            outcome, paid = outcome if isinstance(outcome, tuple) else (outcome, None)
            paying = outcome == "paid"
            lines.append(
                Line(
                    row,
                    payment.id,
                    outcome,
                    Decimal(str(paid or payment.fsp_amount or payment.amount))
                    if paying
                    else None,
                    None,
                    f"RCPT-{payment.id}-{row}" if paying else "",
                    "" if paying else "account closed",
                )
            )
        batch = (
            self.env["spp.reconciliation"]
            .with_user(self.finance)
            ._spp_create_batch(
                {
                    "name": "Bank reply",
                    "source": "file",
                    "program_id": self.program.id,
                    "payroll_id": payroll.id,
                    "fsp_id": (fsp or self.fsp).id,
                },
                lines,
            )
        )
        batch.with_user(self.finance).action_submit()
        # A batch of more lines than one slice is applied by queued jobs.
        with trap_jobs() as trap:
            batch.with_user(self.users["finance_manager"]).action_approve()
            perform_jobs(trap)
        return batch

    def _moves(self, payroll):
        return self.env["account.move"].search(
            [("spp_payroll_id", "=", payroll.id)], order="id"
        )

    def _balances(self, move):
        """{(account, bucket): balance} of an entry."""
        result = {}
        for line in move.line_ids:
            key = (line.account_id, line.spp_bucket)
            result[key] = round(result.get(key, 0.0) + line.balance, 2)
        return result

    def _total(self, payments):
        return round(sum(payments.mapped("amount")), 2)

    def _report(self):
        report = (
            self.env["spp.account.report"]
            .with_user(self.finance)
            .create({"program_id": self.program.id})
        )
        report.action_compute()
        return report, {line.name: line for line in report.line_ids}
