# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import threading
from collections import Counter

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from spp_payment_core import http, mpesa
from spp_payment_core.simulators.mpesa import MpesaSimulator

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import SppConnectorCommon, perform_jobs

CALLBACK_LOGGER = "odoo.addons.spp_payment_base.models.spp_payment_callback"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def mpesa_fsp_values(simulator, **values):
    """The test FSP as a Daraja client of ``simulator`` (keyed by KEY)."""
    public = KEY.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "name": "M-Pesa",
        "provider": "mpesa",
        "api_url": simulator.base_url,
        "api_key": "consumer-key",
        "api_secret": "consumer-secret",
        "rate_limit_tps": 0,
        "mpesa_shortcode": "600999",
        "mpesa_initiator": "spp",
        "mpesa_initiator_password": "Safaricom999!",
        "mpesa_certificate": public.decode(),
        "callback_base_url": "http://127.0.0.1:1",
        **values,
    }


class TestMpesa(SppConnectorCommon):
    """Payrolls paid through the Daraja simulator, with its faults."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = cls.users["finance_officer"]
        cls._start_simulator(MpesaSimulator(KEY, max_seconds=600, deliver=cls._deliver))
        cls.fsp.sudo().write(mpesa_fsp_values(cls.sim, retry_backoff_seconds=0))
        # M-Pesa pays whole shillings.
        cls.whole_cycle = cls._approve(
            cls._create_cycle(
                name="whole", date_start="2026-12-01", date_end="2026-12-31"
            )
        )

    def _payroll(self, suffixes, cycle=None):
        return super()._payroll(suffixes, cycle=cycle or self.whole_cycle)

    def test_results_by_callback(self):
        payroll = self._payroll(["0000", "0001", "0002", "0004", "0000"])
        self._execute(payroll)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"accepted"})
        self.sim.flush()
        self.assertEqual(self._state_of(payroll, "0000"), ["paid", "paid"])
        self.assertEqual(self._state_of(payroll, "0001"), ["failed"])
        self.assertEqual(self._state_of(payroll, "0002"), ["failed"])
        self.assertEqual(self._state_of(payroll, "0004"), ["paid"])
        paid = payroll.payment_ids.filtered(lambda p: p.state == "paid")
        self.assertTrue(all(paid.mapped("external_ref")))
        failed = payroll.payment_ids.filtered(lambda p: p.destination.endswith("0002"))
        self.assertIn("SFC_IC0003", failed.status_reason)
        self._check_invariants(payroll)

    def test_program_in_another_currency_pays_shillings_at_the_frozen_rate(self):
        """The program pays in the company's currency, M-Pesa in KES: Daraja is
        asked for the converted amount and reports it; the payment is paid in
        full, in both currencies."""
        kes = self.env.ref("base.KES")
        if kes == self.currency:
            self.skipTest("the company already pays in KES")
        kes.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", kes.id)]).unlink()
        self.env["res.currency.rate"].create(
            {
                "currency_id": kes.id,
                "rate": 129.0,
                "name": "2026-01-01",
                "company_id": self.env.company.root_id.id,
            }
        )
        self.fsp.sudo().currency_id = kes
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        sent = {
            json.loads(body)["OriginatorConversationID"]: json.loads(body)["Amount"]
            for _method, path, _headers, body in self.sim.requests
            if path == mpesa.B2C_PATH
        }
        payments = payroll.payment_ids.filtered(lambda p: p.state != "cancelled")
        for payment in payments:
            self.assertEqual(payment.fsp_currency_id, kes)
            self.assertEqual(payment.fsp_amount, payment.amount * 129)
            key = payment.current_attempt_id.idempotency_key
            self.assertEqual(int(sent[key]), int(payment.amount * 129))
        self.sim.flush()
        payments.invalidate_recordset()
        for payment in payments:
            self.assertEqual(payment.state, "paid")
            self.assertEqual(payment.paid_amount, payment.amount)
            self.assertEqual(payment.fsp_paid_amount, payment.fsp_amount)
            self.assertEqual(payment.exchange_difference, 0)
            self.assertFalse(payment.is_overpaid)
        self._check_invariants(payroll)

    def test_amount_with_cents_is_refused_before_sending(self):
        payroll = self._payroll(["0000"] * 5, cycle=self.cycle)  # 50.70
        self._execute(payroll)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"rejected"})
        self.assertIn("whole", payroll.payment_ids[0].status_reason)

    def test_no_answer_then_status_query(self):
        payroll = self._payroll(["0003", "0000", "0005", "0006", "0000"])
        self._execute(payroll)
        self.assertEqual(self._state_of(payroll, "0003"), ["unknown"])
        self.sim.flush()
        # Daraja's Result for the request it never answered names a
        # ConversationID we were never given: held, not applied.
        self.assertEqual(self._state_of(payroll, "0003"), ["unknown"])
        held = self.env["spp.payment.callback"].search(
            [("state", "=", "pending"), ("authenticated", "=", False)]
        )
        self.assertEqual(len(held), 1)
        self.assertEqual(self._state_of(payroll, "0005"), ["accepted"])  # lost
        # Paid, then reversed: Daraja pushes no notice of the reversal.
        self.assertEqual(self._state_of(payroll, "0006"), ["paid"])
        self.fsp.status_query_after_minutes = 0
        self._query_statuses()
        self.sim.flush()
        self.assertEqual(self._state_of(payroll, "0003"), ["paid"])
        self.assertEqual(self._state_of(payroll, "0005"), ["paid"])
        self.assertEqual(held.state, "pending")
        # A status query of the paid payment reports the reversal, and the
        # member's totals follow.
        reversed_payment = payroll.payment_ids.filtered(
            lambda p: p.destination.endswith("0006")
        )
        self.fsp._spp_fetch_status(reversed_payment)
        self.sim.flush()
        self.assertEqual(reversed_payment.state, "reversed")
        self.assertEqual(reversed_payment.membership_id.paid_total, 0)
        self._check_invariants(payroll)

    def test_throttling_and_5xx_are_retried(self):
        payroll = self._payroll(["0000"] * 5)
        self.sim.fail_next(503, 429)
        self._execute(payroll)
        self.sim.flush()
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"paid"})
        self._check_invariants(payroll)

    def test_result_before_the_acknowledgement_and_replay(self):
        payroll = self._payroll(["0000", "0000", "0001", "0000", "0000"])
        self.sim.callbacks_first = True
        self._execute(payroll)
        self.assertEqual(self._state_of(payroll, "0001"), ["failed"])
        self.assertEqual(payroll.payment_ids.mapped("state").count("paid"), 4)
        url, body, _status = self.sim.delivered[0]
        self._deliver(url, body, {})
        self.sim.delivered.append((url, body, 200))  # the replay, counted
        last = self.env["spp.payment.callback"].search([], limit=1)
        self.assertEqual(last.state, "duplicate")
        self._check_invariants(payroll)

    def _b2c_keys(self):
        return [
            json.loads(body)["OriginatorConversationID"]
            for _method, path, _headers, body in self.sim.requests
            if path == mpesa.B2C_PATH
        ]

    def _crash_after_sending(self, payroll):
        """The worker dies once after M-Pesa took the requests, before they are
        recorded; the queue runs the job again."""
        fsp_class = type(self.env["spp.fsp"])
        original = fsp_class._spp_mpesa_record
        crashes = []

        def crash_once(fsp, payments, results):
            if not crashes:
                crashes.append(len(payments))
                raise ConnectionResetError("worker killed after sending")
            return original(fsp, payments, results)

        self.patch(fsp_class, "_spp_mpesa_record", crash_once)
        keys = self._execute_with_crashing_delivery(payroll)
        self.assertEqual(crashes, [5])
        return keys

    def _assert_resent_under_the_same_keys(self, payroll):
        sent = Counter(self._b2c_keys())
        keys = payroll.payment_ids.current_attempt_id.mapped("idempotency_key")
        self.assertEqual(set(sent), set(keys))
        self.assertGreaterEqual(min(sent.values()), 2)

    def _assert_paid_once_by_the_results(self, payroll):
        # Daraja's synchronous answer is no evidence of payment either way
        # (fsp-protocols.md 3.2): until the Result reaches the ResultURL (3.3)
        # no payment is paid, and none is failed, which would send it again.
        payments = payroll.payment_ids
        payments.invalidate_recordset()
        self.assertFalse({"paid", "failed", "rejected"} & set(payments.mapped("state")))
        # The ConversationIDs of the first answers died with the crash, so
        # their Results are held as unproven; the status query proves them.
        self.sim.flush()
        payments.invalidate_recordset()
        self.assertFalse({"paid", "failed", "rejected"} & set(payments.mapped("state")))
        self.fsp.status_query_after_minutes = 0
        self._query_statuses()
        self.sim.flush()
        payments.invalidate_recordset()
        self.assertEqual(set(payments.mapped("state")), {"paid"})
        for payment in payments:
            key = payment.current_attempt_id.idempotency_key
            receipt, state, _amount = self.sim.payments[key]
            self.assertEqual((payment.external_ref, state), (receipt, "Completed"))
            self.assertEqual(self.sim.paid[key], 1)
        self._check_invariants(payroll)

    def test_crash_after_sending_never_pays_twice(self):
        payroll = self._payroll(["0000"] * 5)
        self._crash_after_sending(payroll)
        # The resend carries the same OriginatorConversationID, Daraja's key
        # "to avoid double disbursement" (fsp-protocols.md 3.1, 3.4): every
        # key reached M-Pesa again (HTTP 5xx answers are retried as well), and
        # no other key was ever sent.
        self._assert_resent_under_the_same_keys(payroll)
        self._assert_paid_once_by_the_results(payroll)

    def test_resend_answered_500_002_1001_as_a_server_error_pays_once(self):
        # Daraja also answers 500.002.1001 for server errors, with another
        # errorMessage (issue 10; fsp-protocols.md 3.2 lists the code with
        # the {requestId, errorCode, errorMessage} shape): the resend's answer
        # must not be read as "paid", nor as "failed".
        answer = self.sim.dispatch

        def server_error_on_resend(method, path, headers, body):
            status, reply = answer(method, path, headers, body)
            if isinstance(reply, dict) and reply.get("errorCode") == mpesa.DUPLICATE:
                reply = dict(reply, errorMessage="Internal Server Error")
            return status, reply

        self.patch(self.sim, "dispatch", server_error_on_resend)
        payroll = self._payroll(["0000"] * 5)
        self._crash_after_sending(payroll)
        self._assert_resent_under_the_same_keys(payroll)
        self._assert_paid_once_by_the_results(payroll)

    def test_no_payment_is_locked_while_daraja_is_called(self):
        states = self._assert_no_payment_locked_while_sending(
            mpesa.B2C_PATH, ["0000", "0000", "0001"]
        )
        self.assertEqual(states, {"accepted"})

    def test_rate_limit_paces_requests_outside_the_transaction(self):
        # The FSP's one token bucket, on a clock that stands still: each
        # request's slot is when its wait would end, whichever thread sent it.
        slots = self._recording_rate_limiter()
        self.fsp.write({"rate_limit_tps": 200, "requests_in_flight": 4})
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        # One token per B2C request, no two in one slot of the FSP's rate,
        # though four threads sent them.
        self.assertEqual(sorted(slots), [0.0, 0.005, 0.01, 0.015, 0.02])
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})

    def test_several_requests_are_in_flight_at_once(self):
        payroll = self._payroll(["0000"] * 5)
        count = len(payroll.payment_ids)
        # All the requests must be at Daraja together, or none is answered.
        together = threading.Barrier(count, timeout=20)

        def meet(method, path, headers, body):
            if path == mpesa.B2C_PATH:
                together.wait()

        self.fsp.requests_in_flight = count
        self.sim.on_request = meet
        try:
            self._execute(payroll)
        finally:
            self.sim.on_request = None
        self.assertFalse(together.broken)
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        self.sim.flush()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self._check_invariants(payroll)

    def test_status_cron_enqueues_chunks_and_calls_no_fsp(self):
        payroll = self._payroll(["0005"] * 5)  # results lost: accepted
        self._execute(payroll)
        self.fsp.write({"status_query_after_minutes": 0, "batch_size": 2})
        self.sim.requests.clear()
        with trap_jobs() as trap:
            self.env["spp.fsp"]._cron_spp_query_statuses()
            self.assertEqual(list(self.sim.requests), [])  # the cron asks nobody
            jobs = trap.enqueued_jobs
            self.assertEqual([len(job.args[0]) for job in jobs], [2, 2, 1])
            self.assertEqual(
                sorted(i for job in jobs for i in job.args[0]),
                sorted(payroll.payment_ids.ids),
            )
            identities = {job.identity_key for job in jobs}
            self.assertEqual(len(identities), 3)
            # Run again before the jobs ran: the same chunks are not queued twice.
            self.env["spp.fsp"]._cron_spp_query_statuses()
            self.assertEqual(len(trap.enqueued_jobs), 3)
            perform_jobs(trap)
        asked = [r for r in self.sim.requests if r[1] == mpesa.STATUS_PATH]
        self.assertEqual(len(asked), 5)
        self.sim.flush()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})

    def _recording_rate_limiter(self):
        """Patch the FSP's one token bucket (shared by its jobs, as
        http.shared_limiter is) onto a clock that stands still: the list
        returned gets each token's slot (when its wait would end)."""
        slots = []
        buckets = {}
        fsp_class = type(self.env["spp.fsp"])

        def recording(fsp):
            if fsp.id not in buckets:
                bucket = http.TokenBucket(
                    fsp.rate_limit_tps, clock=lambda: 0.0, sleep=lambda seconds: None
                )
                wait = bucket.wait

                def taking():
                    slot = wait()
                    slots.append(round(slot, 6))
                    return slot

                bucket.wait = taking
                buckets[fsp.id] = bucket
            return buckets[fsp.id]

        self.patch(fsp_class, "_spp_rate_limiter", recording)
        return slots

    def test_status_and_pull_jobs_take_one_token_a_request(self):
        payroll = self._payroll(["0005"] * 5)  # results lost: accepted
        self._execute(payroll)
        self.fsp.write(
            {"status_query_after_minutes": 0, "batch_size": 2, "rate_limit_tps": 100}
        )
        slots = self._recording_rate_limiter()
        self.sim.requests.clear()
        with trap_jobs() as trap:
            self.env["spp.fsp"]._cron_spp_query_statuses()
            self.assertEqual((slots, list(self.sim.requests)), ([], []))
            perform_jobs(trap)
        # One token per status request (one per payment at Daraja), each in
        # its own slot of the FSP's rate: the chunks' jobs share one bucket.
        asked = [r for r in self.sim.requests if r[1] == mpesa.STATUS_PATH]
        self.assertEqual(len(asked), 5)
        self.assertEqual(sorted(slots), [0.0, 0.01, 0.02, 0.03, 0.04])
        # The API pull: nothing asked, no token taken, in the user's request.
        slots.clear()
        self.sim.requests.clear()
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_pull_reconciliation()
            self.assertEqual((slots, list(self.sim.requests)), ([], []))
            self.assertEqual(len(trap.enqueued_jobs), 3)
            perform_jobs(trap)
        asked = [r for r in self.sim.requests if r[1] == mpesa.STATUS_PATH]
        self.assertEqual(len(asked), 5)
        # The same bucket: the pull's requests come after the status queries'.
        self.assertEqual(sorted(slots), [0.05, 0.06, 0.07, 0.08, 0.09])

    def test_failed_payments_are_retried_as_new_attempts(self):
        payroll = self._payroll(["0001", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        self.sim.flush()
        failed = payroll.payment_ids.filtered(lambda p: p.state == "failed")
        first_key = failed.current_attempt_id.idempotency_key
        self._execute(payroll, "action_retry_failed")
        self.sim.flush()
        self.assertEqual(len(failed.attempt_ids), 2)
        self.assertNotEqual(failed.current_attempt_id.idempotency_key, first_key)
        self._check_invariants(payroll)

    @mute_logger(CALLBACK_LOGGER)
    def test_results_must_name_the_conversation_daraja_opened(self):
        """Daraja signs nothing: a Result is authentic only when it names the
        ConversationID Daraja's synchronous answer gave its
        OriginatorConversationID. A forged one that guesses our key (they are
        deterministic) but not Daraja's ConversationID is refused."""
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        url, body, _headers = self.sim.callbacks[0]
        forged = json.loads(json.dumps(body))
        forged["Result"]["ConversationID"] = "AG_20260101_guessed"
        self.assertEqual(self._deliver(url, forged), 401)
        self.sim.delivered.append((url, forged, 401))
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"accepted"})
        last = self.env["spp.payment.callback"].search([], limit=1)
        self.assertEqual(last.state, "refused")
        self.assertIn("ConversationID", last.result)
        # Without any ConversationID pair: refused at once.
        del forged["Result"]["OriginatorConversationID"]
        self.assertEqual(self._deliver(url, forged), 400)
        self.sim.delivered.append((url, forged, 400))
        self.sim.flush()
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"paid"})
        self._check_invariants(payroll)

    @mute_logger(CALLBACK_LOGGER)
    def test_source_address_allow_list(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        self.fsp.sudo().callback_allowed_ips = "196.201.214.0/24, 196.201.213.114"
        self.assertEqual(self.sim.flush(), [403] * 5)  # _deliver: from 127.0.0.1
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"accepted"})
        self.fsp.sudo().callback_allowed_ips = "127.0.0.0/8"
        for url, body, _status in list(self.sim.delivered):
            self.assertEqual(self._deliver(url, body), 200)
            self.sim.delivered.append((url, body, 200))
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"paid"})
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.fsp.sudo().callback_allowed_ips = "196.201.214.0/24, safaricom"
        self._check_invariants(payroll)

    def test_token_is_cached_and_renewed_when_refused(self):
        def token_requests():
            return [r for r in self.sim.requests if r[1].startswith("/oauth/")]

        self.fsp.sudo()._spp_forget_token()
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        self.assertEqual(len(token_requests()), 1)  # five requests, one token
        self.assertTrue(self.fsp.sudo().api_token_expiry)
        self.sim.expire_tokens()
        self.assertEqual(self.sim.tokens, set())
        self.fsp._spp_fetch_status(payroll.payment_ids)
        self.assertEqual(len(token_requests()), 2)  # refused once, renewed once
        self.assertTrue(self.sim.tokens)

    def test_late_success_after_a_failure_and_a_retry_is_a_suspected_double(self):
        payment, first = self._failed_twice(
            ["0001", "0000", "0000", "0000", "0000"], self.sim.flush
        )
        # M-Pesa then reports the first request paid after all.
        receipt = self.sim.late_success(first.idempotency_key)
        self.sim.flush()
        receivable = self._assert_suspected_double(
            payment, first, "callback", state="failed"
        )
        self.assertEqual(receivable.receipt, receipt)
        self.assertEqual(receivable.raw_status, "0")
        self.assertEqual(receivable.evidence_model, "spp.payment.callback")
        callback = self.env["spp.payment.callback"].browse(receivable.evidence_id)
        self.assertIn("suspected_double", callback.result)

    def test_server_error_coded_500_002_1001_is_not_a_duplicate_nor_a_refusal(self):
        """Daraja answers 500.002.1001 to generic server errors too: with an
        errorMessage that is not about a duplicate, the request may or may not
        have been taken, so the payment is unknown and a status query tells."""
        self.fsp.max_retries = 1  # one HTTP try: the error is the answer
        payroll = self._payroll(["0000", "0000", "0000", "0000", "0000"])
        self.sim.server_errors = [True, False]
        self._execute(payroll)
        self.sim.flush()
        self.assertEqual(self._state_list(payroll).count("unknown"), 2)
        unknown = payroll.payment_ids.filtered(lambda p: p.state == "unknown")
        self.assertIn("maintenance", " ".join(unknown.mapped("status_reason")))
        self.sim.bodies = []
        self.fsp._spp_fetch_status(unknown)
        self.sim.flush()
        # The one Daraja took is paid; the other, unknown to Daraja, stays
        # unknown (a non-zero status result is about the query, not the payment).
        self.assertEqual(sorted(unknown.mapped("state")), ["paid", "unknown"])
        left = unknown.filtered(lambda p: p.state == "unknown")
        self.assertEqual(left.current_attempt_id.fsp_status_raw, "status query 2001")
        self._check_invariants(payroll)
