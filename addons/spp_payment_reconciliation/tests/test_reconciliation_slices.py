# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs

from ..models.spp_reconciliation_slice import SLICE_SIZE_PARAM
from .common import SppReconciliationCommon


class TestReconciliationSlices(SppReconciliationCommon):
    """A batch of more lines than one slice is applied by queued jobs, one
    per slice, each slice once, then finished by one job: the same payments
    move, to the same states, as in one transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(SLICE_SIZE_PARAM, "2")
        cls.outcomes = ["paid", "failed", "paid", "paid", "failed"][: len(cls.payments)]

    def _accepted(self):
        """A batch of one line per payment, accepted inside a job trap: (the
        batch, the trap holding its jobs, not run yet)."""
        batch = self._batch(self.outcomes)
        trap = trap_jobs()
        jobs = trap.__enter__()
        self.addCleanup(trap.__exit__, None, None, None)
        batch.with_user(self.users["finance_manager"]).action_approve()
        return batch, jobs

    def _events(self, payments):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(*) FROM spp_payment_event WHERE payment_id = ANY(%s)",
                payments.ids,
            )
        )
        return self.env.cr.fetchone()[0]

    def test_accepting_queues_one_job_per_slice_and_moves_nothing_yet(self):
        self.assertGreaterEqual(len(self.payments), 3)
        batch, jobs = self._accepted()
        slices = len(self.payments) // 2 + len(self.payments) % 2
        self.assertEqual(batch.approval_state, "approved")
        self.assertEqual((batch.slice_count, len(batch.slice_ids)), (slices, slices))
        self.assertEqual(
            sorted(job.method_name for job in jobs.enqueued_jobs),
            sorted(["_job_apply_slice"] * slices + ["_job_finish_slices"]),
        )
        self.assertTrue(batch.applying)
        self.assertFalse(batch.applied_date)
        self.assertEqual(set(self.payments.mapped("state")), {"sent"})
        # The slices cover every line once, in id order.
        lines = batch.line_ids.sorted("id")
        covered = [
            line
            for piece in batch.slice_ids.sorted("number")
            for line in lines
            if piece.first_line_id <= line.id <= piece.last_line_id
        ]
        self.assertEqual(covered, list(lines))

    def test_slices_apply_the_batch_as_one_transaction_would(self):
        batch, jobs = self._accepted()
        perform_jobs(jobs)
        self.payments.invalidate_recordset()
        expected = ["paid" if o == "paid" else "failed" for o in self.outcomes]
        self.assertEqual(self.payments.mapped("state"), expected)
        paid = self.payments.filtered(lambda p: p.state == "paid")
        self.assertEqual(paid[0].external_ref, "RCPT-2")
        for payment in paid:
            self.assertEqual(payment.membership_id.paid_total, payment.amount)
        self.assertEqual(set(batch.slice_ids.mapped("state")), {"done"})
        self.assertTrue(all(batch.slice_ids.mapped("applied_by")))
        self.assertTrue(batch.applied_date)
        self.assertFalse(batch.applying)
        self.assertEqual(batch.apply_progress, 100.0)
        self.payroll.invalidate_recordset()
        self.assertTrue(self.payroll.reconciled_date)

    def test_a_slice_run_twice_applies_once(self):
        batch, _jobs = self._accepted()
        first = self.payments[0]
        batch._job_apply_slice(0)
        self.assertEqual(first.state, "paid")
        events, paid_total = self._events(first), first.membership_id.paid_total
        self.assertIn("skipped", batch._job_apply_slice(0))
        first.membership_id.invalidate_recordset()
        self.assertEqual(self._events(first), events)
        self.assertEqual(first.membership_id.paid_total, paid_total)

    def test_finishing_waits_for_every_slice(self):
        batch, _jobs = self._accepted()
        batch._job_apply_slice(0)
        with self.assertRaises(RetryableJobError):
            batch._job_finish_slices()
        self.assertFalse(batch.applied_date)
        self.assertTrue(batch.applying)
        for number in range(1, batch.slice_count):
            batch._job_apply_slice(number)
        batch._job_finish_slices()
        self.assertTrue(batch.applied_date)
        self.assertEqual(batch._job_finish_slices(), "already applied")

    def test_a_payment_moved_between_acceptance_and_its_slice_is_skipped(self):
        batch, jobs = self._accepted()
        reported_failed = self.payments[1]
        # Paid by a callback meanwhile: the slice's "failed" line no longer
        # applies, and says why.
        reported_failed.sudo()._set_paid(reason="callback")
        perform_jobs(jobs)
        line = batch.line_ids.filtered(lambda r: r.payment_id == reported_failed)
        self.assertEqual(line.outcome, "skipped")
        self.assertIn("payment was paid", line.note)
        self.assertEqual(reported_failed.state, "paid")
        self.assertTrue(batch.applied_date)

    def test_a_small_batch_is_still_applied_in_the_request(self):
        self.env["ir.config_parameter"].sudo().set_param(SLICE_SIZE_PARAM, "100")
        batch, jobs = self._accepted()
        self.assertFalse(jobs.enqueued_jobs)
        self.assertFalse(batch.slice_ids)
        self.assertTrue(batch.applied_date)
        self.assertEqual(self.payments[0].state, "paid")
