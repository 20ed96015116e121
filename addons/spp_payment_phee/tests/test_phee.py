# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import http
from spp_payment_core.simulators.phee import PheeSimulator

from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import SppConnectorCommon, perform_jobs

CALLBACK_LOGGER = "odoo.addons.spp_payment_base.models.spp_payment_callback"


class TestPhee(SppConnectorCommon):
    """Payrolls paid through the Payment Hub EE simulator, with the faults of the
    fault-injection suite."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_simulator(PheeSimulator(max_seconds=600, deliver=cls._deliver))
        cls.fsp.sudo().write(
            {
                "name": "Payment Hub",
                "provider": "phee",
                "api_url": cls.sim.base_url,
                "api_username": "mifos",
                "api_secret": "password",
                "phee_tenant": "ibank-usa",
                "phee_payer_identifier": "254700999999",
                "retry_backoff_seconds": 0,
                "callback_base_url": "http://127.0.0.1:1",
            }
        )

    def setUp(self):
        super().setUp()
        # Batches of earlier tests (rolled back here) are not settled again.
        self.sim.batches.clear()
        self.sim.by_correlation.clear()

    def _batches(self):
        return [r for r in self.sim.requests if r[1].startswith("/batchtransactions")]

    def _settle(self):
        """PHEE works through its batches and sends its progress callbacks;
        the polls they trigger run."""
        self.sim.settle()
        with trap_jobs() as trap:
            statuses = self.sim.flush()
            trap.perform_enqueued_jobs()
        return statuses

    def test_outcomes_are_polled_when_the_batch_calls_back(self):
        payroll = self._payroll(["0000", "0001", "0002", "0000", "0000"])
        self._execute(payroll)
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        (batch,) = self._batches()
        self.assertEqual(batch[2]["type"], "csv")
        self.assertEqual(batch[2]["platform-tenantid"], "ibank-usa")
        self.assertEqual(
            batch[2]["x-callbackurl"],
            f"http://127.0.0.1:1/spp_payment/fsp/{self.fsp.callback_public_id}"
            "/callback",
        )
        self.assertNotIn(self.fsp.sudo().callback_secret, str(batch[2]))
        self._settle()
        self.assertEqual(
            self._state_list(payroll), ["failed", "failed", "paid", "paid", "paid"]
        )
        paid = payroll.payment_ids.filtered(lambda p: p.state == "paid")
        self.assertEqual(paid.mapped("paid_amount"), paid.mapped("amount"))
        self.assertTrue(all(paid.mapped("external_ref")))
        failed = payroll.payment_ids.filtered(lambda p: p.state == "failed")
        self.assertTrue(all(failed.mapped("status_reason")))
        self._check_invariants(payroll)

    def test_rows_carry_the_attempt_keys(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        (batch,) = self._batches()
        body = batch[3].decode()
        keys = payroll.payment_ids.current_attempt_id.mapped("idempotency_key")
        for key in keys:
            self.assertIn(key, body)
        self.assertIn(
            "id,request_id,payment_mode,payer_identifier_type,payer_identifier,"
            "payee_identifier_type,payee_identifier,amount,currency,note",
            body,
        )

    def test_5xx_and_429_are_retried_with_the_same_batch(self):
        payroll = self._payroll(["0000"] * 5)
        self.fsp._spp_phee_token()  # the faults hit the batch post
        self.sim.fail_next(503, 429)
        self._execute(payroll)
        batches = self._batches()
        self.assertEqual(len(batches), 3)
        self.assertEqual(len({b[2]["x-correlationid"] for b in batches}), 1)
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        self._settle()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self._check_invariants(payroll)

    def test_timeout_before_phee_recorded_the_batch(self):
        payroll = self._payroll(["0000"] * 5)
        self.sim.fail_next("drop")
        self._execute(payroll)
        self.assertEqual(set(self._state_list(payroll)), {"unknown"})
        self.fsp.status_query_after_minutes = 0
        self._query_statuses()
        # PHEE answers 404 for the batch: missing evidence, not a failure. The
        # payments stay unknown, nothing is retried blind.
        self.assertEqual(set(self._state_list(payroll)), {"unknown"})
        attempts = payroll.payment_ids.current_attempt_id
        self.assertEqual(set(attempts.mapped("fsp_status_raw")), {"absent"})
        # A Finance Manager who checked with PHEE decides; then the retry.
        payroll.payment_ids.with_user(
            self.users["finance_manager"]
        )._spp_decide_unknown("failed", "PHEE support: batch never received")
        self.assertEqual(set(self._state_list(payroll)), {"failed"})
        self._execute(payroll, "action_retry_failed")
        self._settle()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self.assertEqual(set(payroll.payment_ids.mapped("attempt_count")), {2})
        self._check_invariants(payroll)

    def test_timeout_after_phee_recorded_the_batch(self):
        payroll = self._payroll(["0000", "0001", "0000", "0000", "0000"])
        fsp_class = type(self.env["spp.fsp"])
        original = fsp_class._spp_phee_call

        def answer_lost(fsp, method, path, *args, **kwargs):
            answer = original(fsp, method, path, *args, **kwargs)
            if path == "/batchtransactions":
                raise http.NoAnswer("read timed out")
            return answer

        self.patch(fsp_class, "_spp_phee_call", answer_lost)
        self._execute(payroll)
        self.assertEqual(set(self._state_list(payroll)), {"unknown"})
        self.sim.settle()
        self.sim.callbacks.clear()
        self.fsp.status_query_after_minutes = 0
        self._query_statuses()
        # Found by its correlation id: paid once, never re-sent.
        self.assertEqual(
            self._state_list(payroll), ["failed", "paid", "paid", "paid", "paid"]
        )
        self.assertEqual(len(self.sim.batches), 1)
        self._check_invariants(payroll)

    def test_no_payment_is_locked_while_the_fsp_is_called(self):
        states = self._assert_no_payment_locked_while_sending(
            "/batchtransactions", ["0000", "0000", "0001"]
        )
        self.assertEqual(states, {"accepted"})

    def test_no_payment_is_locked_while_the_next_batch_is_posted(self):
        # Two payments PHEE would take for one duplicate: two batches, posted
        # one after the other, with nothing locked by the first one's reply.
        same = "+254700000000"
        states = self._assert_no_payment_locked_while_sending(
            "/batchtransactions", [], destinations=[same, same], requests=2
        )
        self.assertEqual(states, {"accepted"})

    def test_crash_between_sending_and_committing(self):
        payroll = self._payroll(["0000"] * 5)
        fsp_class = type(self.env["spp.fsp"])
        original = fsp_class._spp_phee_handle_reply
        crashes = []

        def crash_once(fsp, payments, status, answer):
            if not crashes:
                crashes.append(status)
                raise ConnectionResetError("worker killed after PHEE answered")
            return original(fsp, payments, status, answer)

        self.patch(fsp_class, "_spp_phee_handle_reply", crash_once)
        self._execute_with_crashing_delivery(payroll)
        self.assertEqual(crashes, [202])
        batches = self._batches()
        self.assertEqual(len(batches), 2)
        self.assertEqual(len({b[2]["x-correlationid"] for b in batches}), 1)
        self._settle()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self._check_invariants(payroll)

    def test_lost_callback_is_resolved_by_the_scheduled_poll(self):
        payroll = self._payroll(["0005", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        self.sim.settle()
        self.sim.callbacks.clear()  # the batch's callbacks are lost
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        self.fsp.status_query_after_minutes = 0
        self._query_statuses()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self._check_invariants(payroll)

    def test_duplicate_and_replayed_callbacks_change_nothing(self):
        payroll = self._payroll(["0004", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        self._settle()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        url, body, _status = self.sim.delivered[-1]
        self.assertEqual(self._deliver(url, body), 200)
        self.sim.delivered.append((url, body, 200))
        for payment in payroll.payment_ids:
            events = payment.event_ids.filtered(lambda e: e.new_state == "paid")
            self.assertEqual(len(events), 1)
        self._check_invariants(payroll)

    def test_callback_before_the_acknowledgement(self):
        payroll = self._payroll(["0000"] * 5)
        fsp_class = type(self.env["spp.fsp"])
        original = fsp_class._spp_phee_call

        polls = []

        def callback_first(fsp, method, path, *args, **kwargs):
            answer = original(fsp, method, path, *args, **kwargs)
            if path == "/batchtransactions":
                # PHEE finished and called back before our worker read its 202;
                # the poll it triggers finds the payments still being sent.
                self.sim.settle()
                with trap_jobs() as trap:
                    self.assertEqual(self.sim.flush(), [200])
                    polls.extend(trap.enqueued_jobs)
                with self.assertRaisesRegex(RetryableJobError, "still being sent"):
                    with self.env.cr.savepoint():
                        polls[0].perform()
            return answer

        self.patch(fsp_class, "_spp_phee_call", callback_first)
        self._execute(payroll)
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        polls[0].perform()  # queue_job runs the poll again
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        callback = self.env["spp.payment.callback"].search(
            [("fsp_id", "=", self.fsp.id)]
        )
        self.assertEqual(callback.state, "applied")
        self._check_invariants(payroll)

    def test_paid_then_reversed(self):
        payroll = self._payroll(["0006", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        self._settle()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self.assertEqual(len(self.sim.reverse_completed()), 1)
        self.fsp._spp_fetch_status(payroll.payment_ids)
        self.assertEqual(self._state_of(payroll, "0006"), ["reversed"])
        self.assertEqual(self._state_list(payroll).count("paid"), 4)
        self._check_invariants(payroll)

    @mute_logger(CALLBACK_LOGGER)
    def test_unknown_id_and_malformed_callbacks_are_refused(self):
        receive = self.env["spp.payment.callback"]._spp_receive
        status, _answer = receive("0123456789abcdef", b"{}", {})
        self.assertEqual(status, 404)
        public_id = self.fsp.callback_public_id
        status, _answer = receive(public_id, b'{"message": "no batch"}', {})
        self.assertEqual(status, 400)
        refused = self.env["spp.payment.callback"].search(
            [("fsp_id", "=", self.fsp.id)]
        )
        self.assertEqual(refused.mapped("state"), ["refused"])

    def test_callback_for_a_batch_not_committed_yet_is_held_then_polled(self):
        """PHEE signs nothing we can check: a callback counts only for a batch
        we posted to this FSP. One that overtakes the commit of its batch is
        held, and polls once the batch is known; one that never becomes known
        is refused once old."""
        body = b'{"batchId": "b-1", "clientCorrelationId": "spp-new", "message": "x"}'
        receive = self.env["spp.payment.callback"]._spp_receive
        with trap_jobs() as trap:
            status, _answer = receive(self.fsp.callback_public_id, body, {})
            self.assertFalse(trap.enqueued_jobs)
        self.assertEqual(status, 202)
        held = self.env["spp.payment.callback"].search([], limit=1)
        self.assertEqual((held.state, held.authenticated), ("pending", False))
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        self.fsp._spp_mark_batch(payroll.payment_ids, "spp-new")
        with trap_jobs() as trap:
            self.env["spp.payment.callback"]._spp_apply_pending(self.fsp)
            (job,) = trap.enqueued_jobs
        self.assertEqual((held.state, held.authenticated), ("applied", True))
        self.assertIn("spp-new", job.description)
        # A callback for a batch nobody posted: held, then refused when old.
        with mute_logger(CALLBACK_LOGGER):
            receive(self.fsp.callback_public_id, body.replace(b"new", b"forged"), {})
            forged = self.env["spp.payment.callback"].search([], limit=1)
            forged.received_date = "2020-01-01 00:00:00"
            self.env["spp.payment.callback"]._spp_apply_pending(self.fsp)
        self.assertEqual(forged.state, "refused")
        self.assertIn("never authenticated", forged.result)

    def test_pull_reconciliation_reads_batch_details(self):
        payroll = self._payroll(["0000", "0001", "0000", "0000", "0000"])
        self._execute(payroll)
        self.sim.settle()
        self.sim.callbacks.clear()
        self.sim.requests.clear()
        with trap_jobs() as trap:
            action = payroll.with_user(
                self.users["finance_officer"]
            ).action_pull_reconciliation()
            # The user's request queued the chunks and asked PHEE nothing.
            self.assertEqual(list(self.sim.requests), [])
            self.assertTrue(trap.enqueued_jobs)
            perform_jobs(trap)
        self.assertTrue(self.sim.requests)
        batch = self.env["spp.reconciliation"].browse(action["res_id"])
        self.assertEqual(
            sorted(batch.line_ids.mapped("outcome")),
            ["failed", "paid", "paid", "paid", "paid"],
        )
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        batch.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(
            self._state_list(payroll), ["failed", "paid", "paid", "paid", "paid"]
        )
        self._check_invariants(payroll)

    def test_late_success_after_a_failure_and_a_retry_is_a_suspected_double(self):
        payment, first = self._failed_twice(
            ["0001", "0000", "0000", "0000", "0000"], self._settle
        )
        # PHEE then completes the first transfer and calls its batch back: the
        # poll reads every attempt of that batch, the replaced one included.
        correlation = self.sim.late_success(first.idempotency_key)
        self.assertEqual(correlation, first.fsp_batch_ref)
        self._settle()
        receivable = self._assert_suspected_double(
            payment, first, "status_query", state="failed"
        )
        self.assertEqual(receivable.raw_status, "COMPLETED")
