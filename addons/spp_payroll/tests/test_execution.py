# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields
from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SppPayrollCommon, perform_jobs

FINAL_OR_UNKNOWN = {"paid", "failed", "rejected", "reversed", "unknown"}


class TestExecution(SppPayrollCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fsp.batch_size = 2
        cls.finance = cls.users["finance_officer"]

    def _execute(self, payroll, method="action_execute"):
        with trap_jobs() as trap:
            run = getattr(payroll.with_user(self.finance), method)()
            jobs = len(trap.enqueued_jobs)
            perform_jobs(trap)
        return run, jobs

    def _outcomes(self, payroll):
        payroll.invalidate_recordset(["summary"])
        return payroll.summary["by_outcome"]["Manual Bank"]

    def _patch_provider(self, outcome_of):
        """A test FSP: each payment's outcome picked by its household number."""
        sent = []

        def send(fsp, payments):
            sent.extend(payments.ids)
            for payment in payments:
                outcome = outcome_of(payment)
                if outcome == "timeout":
                    payment._set_sent()
                    payment._set_unknown(reason="timeout after the request left")
                elif outcome == "late":
                    payment._set_sent()
                    payment._set_accepted()
                else:
                    payment._set_sent()
                    getattr(payment, f"_set_{outcome}")(reason="test FSP")

        self.patch(type(self.env["spp.fsp"]), "_spp_send_payments", send)
        return sent

    def _outcome_by_number(self, table):
        return lambda payment: table.get(payment.partner_id.registrant_number, "paid")

    def test_manual_execution_in_chunks(self):
        payroll = self._approved_payroll()
        run, jobs = self._execute(payroll)
        # 5 payments, batch size 2: three jobs.
        self.assertEqual(jobs, 3)
        self.assertEqual(run.chunk_count, 3)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.progress, 100.0)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"sent"})
        keys = payroll.payment_ids.current_attempt_id.mapped("idempotency_key")
        self.assertEqual(len(set(keys)), 5)
        self.assertEqual(self._outcomes(payroll)["pending"][0], 5)

    def test_only_finance_executes_an_approved_payroll(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        with self.assertRaisesRegex(UserError, "Only an approved payroll"):
            payroll.with_user(self.finance).action_execute()
        self._approve(payroll)
        with self.assertRaises(AccessError):
            payroll.with_user(self.users["program_officer"]).action_execute()

    def test_outcomes_retry_and_unknown(self):
        sent = self._patch_provider(
            self._outcome_by_number(
                {
                    "HH-0002": "failed",
                    "HH-0003": "timeout",
                    "HH-0004": "late",
                    "HH-0005": "rejected",
                }
            )
        )
        payroll = self._approved_payroll()
        self._execute(payroll)
        states = {p.partner_id.registrant_number: p.state for p in payroll.payment_ids}
        self.assertEqual(
            states,
            {
                "HH-0001": "paid",
                "HH-0002": "failed",
                "HH-0003": "unknown",
                "HH-0004": "accepted",
                "HH-0005": "rejected",
            },
        )
        outcomes = self._outcomes(payroll)
        self.assertEqual(
            {k: v[0] for k, v in outcomes.items()},
            {"paid": 1, "failed": 2, "pending": 1, "unknown": 1},
        )
        # The late answer arrives; a duplicate of it changes nothing.
        late = self._payment_of(payroll, self.households[3])
        late._set_paid()
        late._set_paid()
        # Retry re-sends failed and rejected only, as new attempts.
        sent = self._patch_provider(lambda payment: "paid")
        self._execute(payroll, "action_retry_failed")
        retried = self.env["spp.payment"].browse(sent)
        self.assertEqual(retried.partner_id, self.households[1] | self.households[4])
        self.assertEqual(set(retried.mapped("attempt_count")), {2})
        unknown = self._payment_of(payroll, self.households[2])
        self.assertEqual(unknown.state, "unknown")
        self.assertEqual(unknown.attempt_count, 1)
        # The unknown one is resolved by a status query, never re-sent blind.
        self.patch(
            type(self.env["spp.fsp"]),
            "_spp_fetch_status",
            lambda fsp, payments: len(payments._set_paid(reason="status query")),
        )
        with trap_jobs() as trap:
            action = payroll.with_user(self.finance).action_resolve_unknown()
            # Asked in a queue job, not from the button's request.
            self.assertEqual(unknown.state, "unknown")
            self.assertEqual(len(trap.enqueued_jobs), 1)
            perform_jobs(trap)
        self.assertIn("1 unknown payments", action["params"]["message"])
        for payment in payroll.payment_ids:
            self.assertIn(payment.state, FINAL_OR_UNKNOWN)
            self.assertLessEqual(
                len(payment.attempt_ids.filtered(lambda a: a.state == "paid")), 1
            )
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"paid"})

    def test_job_retried_after_crash_does_not_resend(self):
        sent = self._patch_provider(lambda payment: "paid")
        payroll = self._approved_payroll()
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_execute()
            job = trap.enqueued_jobs[0]
            perform_jobs(trap)
        count = len(sent)
        # queue_job re-runs a job whose worker died after the send committed.
        job.perform()
        self.assertEqual(len(sent), count)
        self.assertEqual(len(payroll.payment_ids.attempt_ids), 5)

    def test_queueing_commits_before_any_fsp_is_called(self):
        sent = self._patch_provider(lambda payment: "paid")
        payroll = self._approved_payroll()
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_execute()
            queueing = trap.enqueued_jobs[0]
            trap.perform_enqueued_jobs()
            # The chunk's jobs queued their payments and called no FSP: that
            # is the next job's work, once the queueing has committed.
            self.assertEqual(sent, [])
            self.assertEqual(set(payroll.payment_ids.mapped("state")), {"queued"})
            deliveries = list(trap.enqueued_jobs)
            self.assertEqual(len(deliveries), 3)  # 5 payments, chunks of 2
            # The worker died before the deliveries ran; queue_job runs the
            # first chunk's queueing again: the chunk is queued already (its
            # delivery was enqueued with it), so it queues and asks nothing.
            trap.enqueued_jobs.clear()
            self.assertIn("skipped", queueing.perform())
            self.assertEqual(trap.enqueued_jobs, [])
            self.assertEqual(len(payroll.payment_ids.attempt_ids), 5)
            trap.enqueued_jobs = deliveries
            perform_jobs(trap)
        self.assertEqual(sorted(sent), sorted(payroll.payment_ids.ids))
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"paid"})
        self.assertEqual(payroll.run_ids[:1].state, "done")

    def test_run_lock_and_release(self):
        payroll = self._approved_payroll()
        with trap_jobs():
            run = payroll.with_user(self.finance).action_execute()
        self.assertTrue(payroll.running)
        with self.assertRaisesRegex(UserError, "already being executed"):
            payroll.with_user(self.finance).action_execute()
        with self.assertRaises(AccessError):
            payroll.with_user(self.finance).action_release_lock()
        payroll.with_user(self.users["finance_manager"]).action_release_lock()
        self.assertEqual(run.state, "aborted")
        self.assertFalse(payroll.running)
        # Chunks of an aborted run do nothing.
        self.assertIn("skipped", run._job_send_chunk(payroll.payment_ids.ids, 0))
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})

    def test_insufficient_balance_refuses_execution(self):
        self.fsp._spp_record_balance(100.0, fields.Datetime.now(), "bank letter")
        payroll = self._approved_payroll()
        lines = payroll.action_check_balances()
        self.assertEqual(lines[0]["to_pay"], payroll.total_amount)
        self.assertFalse(lines[0]["sufficient"])
        action = payroll.with_user(self.finance).action_open_execute_wizard()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertFalse(wizard.can_execute)
        self.assertEqual(wizard.line_ids.balance, 100.0)
        with self.assertRaisesRegex(UserError, "Insufficient FSP balance"):
            wizard.with_user(self.finance).action_confirm()
        self.assertFalse(payroll.run_ids)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})

    def test_exhausted_payments_are_skipped_and_the_run_is_released(self):
        self.fsp.max_retries = 1
        self._patch_provider(
            self._outcome_by_number({"HH-0002": "failed", "HH-0005": "late"})
        )
        payroll = self._approved_payroll()
        self._execute(payroll)
        failed = self._payment_of(payroll, self.households[1])
        self._execute(payroll, "action_retry_failed")  # its one retry fails too
        self.assertEqual((failed.state, failed.attempt_count), ("failed", 2))
        # Nothing else to retry: a clear refusal, no run.
        with self.assertRaisesRegex(UserError, "No retries left"):
            payroll.with_user(self.finance).action_retry_failed()
        # Beside a retryable payment, the exhausted one is reported in the run
        # and stops nothing; the run is not left locked.
        late = self._payment_of(payroll, self.households[4])
        late._set_failed(reason="FSP: insufficient funds")
        self._patch_provider(lambda payment: "paid")
        run, _jobs = self._execute(payroll, "action_retry_failed")
        self.assertEqual(run.state, "done")
        self.assertFalse(payroll.running)
        self.assertEqual(run.skipped_count, 1)
        self.assertIn(failed.reference, run.note)
        self.assertEqual((failed.state, failed.attempt_count), ("failed", 2))
        self.assertEqual(late.state, "paid")

    def test_a_payment_exhausted_after_the_run_started_does_not_lock_it(self):
        self.fsp.max_retries = 1
        self._patch_provider(self._outcome_by_number({"HH-0002": "failed"}))
        payroll = self._approved_payroll()
        self._execute(payroll)
        failed = self._payment_of(payroll, self.households[1])
        with trap_jobs() as trap:
            run = payroll.with_user(self.finance).action_retry_failed()
            # Before the job runs, the payment uses its last attempt elsewhere
            # (and fails again).
            failed._spp_send()
            self.assertEqual(failed.state, "failed")
            trap.perform_enqueued_jobs()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.skipped_count, 1)
        self.assertIn("No retries left", run.note)
