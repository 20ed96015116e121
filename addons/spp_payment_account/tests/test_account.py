# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tests.common import ROLES, SppCompanyIsolationMixin
from odoo.addons.spp_payment_reconciliation.models.spp_reconciliation_slice import (
    SLICE_SIZE_PARAM,
)
from odoo.addons.spp_payroll.tests.common import SppPayrollCommon

from .common import SppAccountCommon


@tagged("post_install", "-at_install")
class TestPaymentAccount(SppAccountCommon, SppCompanyIsolationMixin, SppPayrollCommon):
    """Payrolls posted as a handful of summarised entries that tie, to the
    cent, to what their payments say."""

    # Tests --------------------------------------------------------------------

    def test_execution_posts_one_entry_per_payroll_and_fsp(self):
        payroll = self._approved_payroll()
        payments = payroll.payment_ids.filtered("fsp_id")
        total = self._total(payments)
        self.assertGreater(len(payments), 2)
        self.assertFalse(self._moves(payroll))
        run = self._execute(payroll)
        move = self._moves(payroll)
        self.assertEqual(len(move), 1)
        self.assertEqual(move.state, "posted")
        self.assertEqual(
            (move.spp_event, move.spp_run_id, move.spp_fsp_id, move.journal_id),
            ("execution", run, self.fsp, self.journal),
        )
        self.assertEqual(
            self._balances(move),
            {
                (self.clearing_account, "clearing"): total,
                (self.fund_account, "fund"): -total,
            },
        )
        # Smart buttons: the payroll's and the run's entries; each payment
        # shows the entry that carries it.
        self.assertEqual(payroll.count_account_moves, 1)
        self.assertEqual(run.account_move_ids, move)
        self.assertEqual(payments[0].account_move_ids, move)
        action = payroll.action_view_account_moves()
        self.assertEqual(self.env["account.move"].search(action["domain"]), move)
        # Posting again finds nothing new to post.
        self.assertFalse(
            payroll.with_user(self.finance)._spp_account_post("settlement")
        )

    def test_missing_account_refuses_and_sends_nothing(self):
        self.fsp.sudo().account_clearing_id = False
        self.program.sudo().account_expense_id = False
        payroll = self._approved_payroll()
        with self.assertRaisesRegex(
            UserError,
            "program expense account, clearing account of FSP Manual Bank "
            "of program Child Grant",
        ):
            self._execute(payroll)
        self.assertFalse(payroll.run_ids)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})
        self.assertFalse(self._moves(payroll))

    def test_only_administrators_and_finance_managers_set_accounts(self):
        for role in ("program_officer", "finance_officer"):
            with self.assertRaises(AccessError):
                self.program.with_user(self.users[role]).write(
                    {"account_fund_id": self.expense_account.id}
                )
            with self.assertRaises(AccessError):
                self.fsp.with_user(self.users[role]).write(
                    {"account_clearing_id": self.expense_account.id}
                )
        self.assertEqual(self.program.account_fund_id, self.fund_account)
        # The approved program is configured without a new approval round.
        self.assertEqual(self.program.approval_state, "approved")
        self.program.with_user(
            self.users["admin"]
        ).account_fund_id = self.receivable_account
        self.assertEqual(self.program.account_fund_id, self.receivable_account)

    def test_program_without_posting_posts_nothing(self):
        self.program.sudo().account_posting = False
        payroll = self._approved_payroll()
        self._execute(payroll)
        self.assertFalse(self._moves(payroll))

    def test_reconciliation_posts_paid_and_returned(self):
        payroll = self._approved_payroll()
        self._execute(payroll)
        p1, p2, p3, *_rest = payroll.payment_ids.filtered("fsp_id").sorted("id")
        batch = self._reconcile(payroll, {p1: "paid", p2: "failed", p3: "paid"})
        move = batch.account_move_ids
        self.assertEqual(len(move), 1)
        self.assertEqual(batch.count_account_moves, 1)
        self.assertEqual(
            (move.spp_event, move.spp_payroll_id), ("reconciliation", payroll)
        )
        paid = self._total(p1 | p3)
        self.assertEqual(
            self._balances(move),
            {
                (self.expense_account, "expense"): paid,
                (self.clearing_account, "clearing"): -self._total(p1 | p2 | p3),
                (self.fund_account, "returned"): self._total(p2),
            },
        )
        # The reconciliation's entry carries the payments it named only.
        self.assertIn(move, p1.account_move_ids)
        self.assertNotIn(move, _rest[0].account_move_ids)

    def test_reconciliation_in_slices_posts_one_entry_at_the_end(self):
        self.env["ir.config_parameter"].sudo().set_param(SLICE_SIZE_PARAM, "1")
        payroll = self._approved_payroll()
        self._execute(payroll)
        p1, p2, p3, *_rest = payroll.payment_ids.filtered("fsp_id").sorted("id")
        batch = self._reconcile(payroll, {p1: "paid", p2: "failed", p3: "paid"})
        self.assertEqual(batch.slice_count, 3)
        move = batch.account_move_ids
        self.assertEqual(len(move), 1)
        self.assertEqual(
            self._balances(move),
            {
                (self.expense_account, "expense"): self._total(p1 | p3),
                (self.clearing_account, "clearing"): -self._total(p1 | p2 | p3),
                (self.fund_account, "returned"): self._total(p2),
            },
        )

    def test_reconciliation_in_slices_refused_before_a_payment_moves(self):
        self.env["ir.config_parameter"].sudo().set_param(SLICE_SIZE_PARAM, "1")
        payroll = self._approved_payroll()
        self._execute(payroll)
        p1, p2, *_rest = payroll.payment_ids.filtered("fsp_id").sorted("id")
        self.fsp.sudo().account_clearing_id = False
        with self.assertRaisesRegex(UserError, "clearing account of FSP"):
            self._reconcile(payroll, {p1: "paid", p2: "failed"})
        batch = self.env["spp.reconciliation"].search(
            [("payroll_id", "=", payroll.id)], limit=1
        )
        self.assertEqual(batch.approval_state, "submitted")
        self.assertFalse(batch.slice_ids)
        self.assertEqual((p1.state, p2.state), ("sent", "sent"))

    def test_retry_moves_money_again_only_once_it_went_back(self):
        payroll = self._approved_payroll()
        self._execute(payroll)
        payments = payroll.payment_ids.filtered("fsp_id").sorted("id")
        failed = payments[1]
        # Failed by a callback: the FSP still holds its money in the books.
        failed.sudo()._set_failed(reason="callback")
        self._execute(payroll, "action_retry_failed")
        self.assertEqual(len(self._moves(payroll)), 1)
        self.assertEqual(failed.state, "sent")
        # Failed again, this time reconciled: the money goes back...
        self._reconcile(payroll, {failed: "failed"})
        self.assertEqual(len(self._moves(payroll)), 2)
        # ...and the next retry sends it again, once.
        run = self._execute(payroll, "action_retry_failed")
        move = run.account_move_ids
        self.assertEqual(len(move), 1)
        amount = self._total(failed)
        self.assertEqual(
            self._balances(move),
            {
                (self.clearing_account, "clearing"): amount,
                (self.fund_account, "returned"): -amount,
            },
        )

    def test_mixed_run_ties_to_the_cent(self):
        """Paid, failed, retried and paid, reversed, overpaid and recovered:
        the program's report ties every figure to the ledger."""
        payroll = self._approved_payroll()
        p1, p2, p3, p4, p5 = payroll.payment_ids.filtered("fsp_id").sorted("id")
        self._execute(payroll)
        self._reconcile(
            payroll,
            {
                p1: ("paid", p1.amount + 10.25),
                p2: "failed",
                p3: "paid",
                p4: "paid",
                p5: "failed",
            },
        )
        overpayment = p1.overpayment_ids
        self.assertEqual((overpayment.kind, overpayment.amount), ("excess", 10.25))
        self._execute(payroll, "action_retry_failed")
        self._reconcile(payroll, {p2: "paid", p5: "failed", p4: "reversed"})
        self.assertEqual(
            (p1 | p2 | p3 | p4 | p5).mapped("state"),
            ["paid", "paid", "paid", "reversed", "failed"],
        )
        # The open receivable is in the books already.
        report, lines = self._report()
        self.assertTrue(report.ties)
        self.assertEqual(lines["Overpayments owed back"].ledger_amount, 10.25)
        overpayment.with_user(self.users["finance_manager"])._spp_resolve(
            "recovered", "deducted from the next transfer"
        )
        moves = self._moves(payroll)
        self.assertEqual(
            moves.mapped("spp_event"),
            [
                "execution",
                "reconciliation",
                "execution",
                "reconciliation",
                "overpayment_resolution",
            ],
        )
        report, lines = self._report()
        self.assertTrue(report.ties)
        for line in report.line_ids.filtered("has_ledger"):
            self.assertEqual(line.difference, 0.0, line.name)
        figures = {name: line.suite_amount for name, line in lines.items()}
        self.assertEqual(figures["Paid"], self._total(p1 | p2 | p3))
        self.assertEqual(
            figures["Failed, rejected, reversed and unpaid parts (returned)"],
            self._total(p4 | p5),
        )
        self.assertEqual(figures["Outstanding at FSPs"], 0.0)
        self.assertEqual(figures["Overpaid by FSPs"], 10.25)
        self.assertEqual(figures["Overpayments recovered"], 10.25)
        self.assertEqual(figures["Overpayments owed back"], 0.0)
        # The accounts themselves: fund, expense, clearing, receivable.
        fund = lines[f"Balance of {self.fund_account.display_name}"]
        self.assertEqual(fund.ledger_amount, -self._total(p1 | p2 | p3) + 10.25)
        expense = lines[f"Balance of {self.expense_account.display_name}"]
        self.assertEqual(expense.ledger_amount, self._total(p1 | p2 | p3))
        clearing = lines[f"Balance of {self.clearing_account.display_name}"]
        self.assertEqual(clearing.ledger_amount, -10.25)
        receivable = lines[f"Balance of {self.receivable_account.display_name}"]
        self.assertEqual(receivable.ledger_amount, 0.0)

    def test_overpayment_reported_by_a_callback_posts_its_own_entry(self):
        payroll = self._approved_payroll()
        self._execute(payroll)
        payment = payroll.payment_ids.filtered("fsp_id")[:1]
        overpayment = (
            self.env["spp.payment.overpayment"]
            .sudo()
            ._spp_record_sql(
                SQL(
                    "SELECT %s, %s, 'double', 'callback', %s, 'failed', "
                    "'SUCCESS', 'R1', NULL, NULL, 'test'",
                    payment.id,
                    payment.current_attempt_id.id,
                    payment.amount,
                )
            )
        )
        self.assertEqual(len(overpayment), 1)
        moves = self._moves(payroll)
        self.assertEqual(moves.mapped("spp_event"), ["execution", "overpayment"])
        amount = self._total(payment)
        self.assertEqual(
            self._balances(moves[1]),
            {
                (self.receivable_account, "receivable"): amount,
                (self.clearing_account, "overpaid"): -amount,
            },
        )
        # Not a duplicate after all: the receivable goes, in an entry of its own.
        overpayment.with_user(self.users["finance_manager"])._spp_resolve(
            "not_duplicate", "the bank's report was wrong"
        )
        moves = self._moves(payroll)
        self.assertEqual(moves[-1].spp_event, "overpayment_resolution")
        self.assertEqual(
            self._balances(moves[-1]),
            {
                (self.receivable_account, "receivable"): -amount,
                (self.clearing_account, "overpaid"): amount,
            },
        )

    def test_report_data_is_read_only_and_equals_the_wizard(self):
        """get_report_data (what a client calls on the read replica) returns
        the wizard's lines and writes nothing."""
        payroll = self._approved_payroll()
        self._execute(payroll)
        report, _lines = self._report()
        model = self.env["spp.account.report"]
        self.assertTrue(type(model).get_report_data._readonly)
        self.assertFalse(getattr(type(model).action_compute, "_readonly", False))
        before = model.search_count([])
        # In a read-only (sub)transaction, as on a standby: any write raises.
        self.env.flush_all()
        self.env.cr.execute("SAVEPOINT spp_read_only")
        self.env.cr.execute("SET LOCAL transaction_read_only = on")
        data = model.with_user(self.finance).get_report_data(self.program.id)
        self.env.flush_all()
        self.env.cr.execute("ROLLBACK TO SAVEPOINT spp_read_only")
        self.assertEqual(model.search_count([]), before)
        fields = ["name", "suite_amount", "ledger_amount", "difference"]
        self.assertEqual(
            [[line[f] for f in fields] for line in data["lines"]],
            [[line[f] for f in fields] for line in report.line_ids],
        )
        self.assertEqual(
            (data["payroll_count"], data["ties"]), (report.payroll_count, report.ties)
        )
        with self.assertRaises(AccessError):
            model.with_user(self.users["program_officer"]).get_report_data(
                self.program.id
            )

    def test_report_is_for_finance_users_of_the_program_company(self):
        with self.assertRaises(AccessError):
            self.env["spp.account.report"].with_user(
                self.users["program_officer"]
            ).create({"program_id": self.program.id})
        report, _lines = self._report()
        other = self.env["res.company"].create({"name": "Other Agency"})
        outsider = new_test_user(
            self.env,
            login="spp_other_finance",
            groups=ROLES["finance_officer"],
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self._assert_isolated(report, self.finance, outsider)
        self._assert_isolated(report.line_ids, self.finance, outsider)
