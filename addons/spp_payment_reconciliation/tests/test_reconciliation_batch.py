# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core.reconcile import Line

from odoo.exceptions import UserError

from .common import SppReconciliationCommon


class TestReconciliationBatch(SppReconciliationCommon):
    """A batch of FSP outcomes from any source (file, API pull, PPM sync) is
    evidence: applied only once a checker who did not prepare it accepts it,
    never edited, cleared by a rejection."""

    def test_accepted_by_a_checker_moves_the_payments_once(self):
        batch = self._batch(["paid", "failed"])
        first, second = self.payments[:2]
        self.assertEqual({first.state, second.state}, {"sent"})
        batch.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual((first.state, second.state), ("paid", "failed"))
        self.assertEqual(first.external_ref, "RCPT-2")
        self.assertEqual(first.membership_id.paid_total, first.amount)
        self.assertTrue(batch.applied_date)
        with self.assertRaisesRegex(UserError, "already applied"):
            batch._spp_apply()

    def test_accepted_batches_reconcile_the_payroll(self):
        payroll = self.payroll
        self.assertEqual((payroll.status, payroll.has_failures), ("executed", False))
        manager = self.users["finance_manager"]
        self._batch(["paid"]).with_user(manager).action_approve()
        payroll.invalidate_recordset()
        # Reconciled once, but payments still wait for the bank's answer.
        self.assertTrue(payroll.reconciled_date)
        self.assertEqual(payroll.status, "executed")
        rest = self.payments[1:]
        outcomes = ["failed"] + ["paid"] * (len(rest) - 1)
        self._batch(outcomes, payments=rest).with_user(manager).action_approve()
        payroll.invalidate_recordset()
        self.assertEqual((payroll.status, payroll.has_failures), ("reconciled", True))
        self.assertEqual(payroll.count_reconciliations, 2)
        self.assertEqual(
            self.env["spp.reconciliation"].search(
                payroll.action_view_reconciliations()["domain"]
            ),
            self.env["spp.reconciliation"].search([("payroll_id", "=", payroll.id)]),
        )
        # Nothing is left to send; the reconciled payroll closes.
        with self.assertRaisesRegex(UserError, "cannot be executed|Nothing to send"):
            payroll.with_user(self.users["finance_officer"]).action_execute()
        payroll.with_user(self.users["finance_officer"]).action_close()
        self.assertEqual(payroll.status, "closed")

    def test_a_batch_over_several_payrolls_reconciles_each_of_them_once(self):
        # A pull spans payrolls: each payroll whose payments the batch moved
        # is reconciled and its status derived once, at the end of the
        # acceptance; a payroll whose only line no longer applies is not.
        cycle = self._approve(
            self._create_cycle(
                name="December", date_start="2026-12-01", date_end="2026-12-31"
            )
        )
        other = self._approved_payroll(cycle=cycle)
        others = other.payment_ids.filtered(lambda p: p.fsp_id == self.fsp)
        others.sudo()._spp_send()
        third = self._approved_payroll(
            cycle=self._approve(
                self._create_cycle(
                    name="January", date_start="2027-01-01", date_end="2027-01-31"
                )
            )
        )
        stale = third.payment_ids.filtered(lambda p: p.fsp_id == self.fsp)[:1]
        stale.sudo()._spp_send()
        lines = [
            Line(2, self.payments[0].id, "paid", Decimal(str(self.payments[0].amount))),
            Line(3, others[0].id, "failed", reason="account closed"),
            Line(4, stale.id, "failed", reason="account closed"),
        ]
        batch = (
            self.env["spp.reconciliation"]
            .with_user(self.users["finance_officer"])
            ._spp_create_batch(
                {
                    "name": "Pull",
                    "source": "api",
                    "program_id": self.program.id,
                    "fsp_id": self.fsp.id,
                },
                lines,
            )
        )
        batch.with_user(self.users["finance_officer"]).action_submit()
        # The third payroll's payment is paid before acceptance.
        stale.sudo()._set_paid(reason="bank said so")
        batch.with_user(self.users["finance_manager"]).action_approve()
        (self.payroll | other | third).invalidate_recordset()
        self.assertTrue(self.payroll.reconciled_date)
        self.assertTrue(other.reconciled_date)
        self.assertFalse(third.reconciled_date)
        self.assertEqual((self.payroll.has_failures, other.has_failures), (False, True))
        self.assertEqual(
            batch.line_ids.sorted("row_no").mapped("note")[2],
            "not applied: payment was paid",
        )

    def test_the_maker_cannot_accept_and_a_refusal_changes_nothing(self):
        maker = self.users["finance_manager"]
        batch = self._batch(["paid"], user="finance_manager")
        with self.assertRaises(UserError):
            batch.with_user(maker).action_approve()
        self.assertEqual(batch.approval_state, "submitted")
        self.assertEqual(self.payments[0].state, "sent")
        self.assertFalse(batch.applied_date)

    def test_batch_and_lines_are_never_edited(self):
        batch = self._batch(["paid"])
        officer = self.users["finance_officer"]
        with self.assertRaisesRegex(UserError, "cannot be edited"):
            batch.with_user(officer).write({"name": "edited"})
        with self.assertRaisesRegex(UserError, "locked"):
            batch.line_ids.with_user(officer).sudo().write({"outcome": "failed"})
        self.assertEqual(batch.line_ids.outcome, "paid")

    def test_rejection_clears_the_lines_and_leaves_payments_alone(self):
        batch = self._batch(["paid", "paid"])
        batch.with_user(self.users["finance_manager"]).action_reject(
            reason="wrong bank file"
        )
        # Back to draft with the reason (design §5), emptied for good.
        self.assertEqual(batch.approval_state, "draft")
        self.assertFalse(batch.line_ids)
        self.assertTrue(batch.cleared)
        self.assertEqual(set(self.payments[:2].mapped("state")), {"sent"})
        with self.assertRaises(UserError):
            batch.with_user(self.users["finance_officer"]).action_submit()
