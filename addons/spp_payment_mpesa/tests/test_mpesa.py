# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from spp_payment_core.simulators.mpesa import MpesaSimulator

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import SppConnectorCommon

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TestMpesa(SppConnectorCommon):
    """Payrolls paid through the Daraja simulator, with its faults."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = cls.users["finance_officer"]
        cls._start_simulator(MpesaSimulator(KEY, max_seconds=600, deliver=cls._deliver))
        public = KEY.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
        cls.fsp.sudo().write(
            {
                "name": "M-Pesa",
                "provider": "mpesa",
                "api_url": cls.sim.base_url,
                "api_key": "consumer-key",
                "api_secret": "consumer-secret",
                "rate_limit_tps": 0,
                "retry_backoff_seconds": 0,
                "mpesa_shortcode": "600999",
                "mpesa_initiator": "spp",
                "mpesa_initiator_password": "Safaricom999!",
                "mpesa_certificate": public.decode(),
                "callback_base_url": "http://127.0.0.1:1",
            }
        )
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
        self.assertEqual(self._state_of(payroll, "0003"), ["paid"])
        self.assertEqual(self._state_of(payroll, "0005"), ["accepted"])  # lost
        # Paid, then reversed: M-Pesa reports it, and the member's totals follow.
        self.assertEqual(self._state_of(payroll, "0006"), ["reversed"])
        self.fsp.status_query_after_minutes = 0
        self.env["spp.fsp"]._cron_spp_query_statuses()
        self.sim.flush()
        self.assertEqual(self._state_of(payroll, "0005"), ["paid"])
        reversed_payment = payroll.payment_ids.filtered(lambda p: p.state == "reversed")
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

    def test_crash_after_sending_never_pays_twice(self):
        payroll = self._payroll(["0000"] * 5)
        fsp_class = type(self.env["spp.fsp"])
        original = fsp_class._spp_mpesa_record
        crashes = []

        def crash_once(fsp, payments, results):
            if not crashes:
                crashes.append(len(payments))
                raise ConnectionResetError("worker killed after sending")
            return original(fsp, payments, results)

        self.patch(fsp_class, "_spp_mpesa_record", crash_once)
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_execute()
            (job,) = trap.enqueued_jobs
            with self.assertRaises(ConnectionResetError):
                with self.env.cr.savepoint():
                    job.perform()
            job.perform()
        # Every resend was answered 500.002.1001: nothing paid twice.
        self.sim.flush()
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"paid"})
        self._check_invariants(payroll)

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
        payroll = self._payroll(["0001", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        self.sim.flush()
        payment = payroll.payment_ids.filtered(lambda p: p.state == "failed")
        first = payment.current_attempt_id
        self._execute(payroll, "action_retry_failed")
        self.sim.flush()
        self.assertEqual(payment.state, "failed")  # the retry failed too
        self.assertNotEqual(payment.current_attempt_id, first)
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
