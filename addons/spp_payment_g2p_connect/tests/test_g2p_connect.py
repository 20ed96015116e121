# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import json

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from spp_payment_core import callbacks, g2p_connect
from spp_payment_core.simulators.g2p_connect import G2pConnectSimulator

from odoo.exceptions import AccessError, UserError
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import (
    SppConnectorCommon,
    SppPayrollCommon,
    perform_jobs,
)

CALLBACK_LOGGER = "odoo.addons.spp_payment_base.models.spp_payment_callback"


class TestG2pConnect(SppConnectorCommon):
    """Payrolls paid through the G2P Connect simulator, with the faults of the
    fault-injection suite. Each test ends with the same invariants: no payment
    paid twice (by us or at the FSP), none lost, every message valid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = cls.users["finance_officer"]
        cls._start_simulator(G2pConnectSimulator(max_seconds=600, deliver=cls._deliver))
        cls.fsp.sudo().write(
            {
                "name": "G2P Receiver",
                "provider": "g2p_connect",
                "api_url": cls.sim.base_url,
                "api_username": "spp",
                "api_secret": "secret",
                "retry_backoff_seconds": 0,
                "g2p_payer_fa": "account:100200300@central-bank",
                "callback_base_url": "http://127.0.0.1:1",
            }
        )
        # The receiver was onboarded with our callback secret: it signs its
        # callbacks with our X-SPP-Signature header.
        cls.sim.callback_secret = cls.fsp.sudo().callback_secret

    def test_outcomes_by_callback(self):
        payroll = self._payroll(["0000", "0001", "0002", "0000", "0000"])
        self._execute(payroll)
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        self.sim.flush()
        self.assertEqual(
            self._state_list(payroll),
            ["failed", "failed", "paid", "paid", "paid"],
        )
        paid = payroll.payment_ids.filtered(lambda p: p.state == "paid")
        self.assertEqual(paid.mapped("paid_amount"), paid.mapped("amount"))
        self.assertTrue(all(p.membership_id.paid_total for p in paid))
        self._check_invariants(payroll)

    def test_sent_messages_are_valid_and_idempotent(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        disburse = [r for r in self.sim.requests if r[1] == "/disburse"]
        self.assertEqual(len(disburse), 1)
        body = json.loads(disburse[0][3])
        self.assertEqual(g2p_connect.validate("/disburse", body), [])
        keys = set(payroll.payment_ids.current_attempt_id.mapped("idempotency_key"))
        self.assertEqual(
            {d["reference_id"] for d in body["message"]["disbursements"]}, keys
        )
        sender_uri = body["header"]["sender_uri"]
        self.assertEqual(
            sender_uri,
            f"http://127.0.0.1:1/spp_payment/fsp/{self.fsp.callback_public_id}"
            "/callback",
        )
        self.assertNotIn(self.fsp.sudo().callback_secret, json.dumps(body))

    def test_disbursements_in_the_fsp_currency_at_the_frozen_rate(self):
        kes = self.env.ref("base.KES")
        if kes == self.currency:
            self.skipTest("the company already pays in KES")
        kes.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", kes.id)]).unlink()
        self.env["res.currency.rate"].create(
            {
                "currency_id": kes.id,
                "rate": 129.37,
                "name": "2026-01-01",
                "company_id": self.env.company.root_id.id,
            }
        )
        self.fsp.sudo().currency_id = kes
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        (disburse,) = [r for r in self.sim.requests if r[1] == "/disburse"]
        body = json.loads(disburse[3])
        self.assertEqual(g2p_connect.validate("/disburse", body), [])
        sent = {d["reference_id"]: d for d in body["message"]["disbursements"]}
        payments = payroll.payment_ids.filtered(lambda p: p.state != "cancelled")
        for payment in payments:
            item = sent[payment.current_attempt_id.idempotency_key]
            self.assertEqual(item["currency_code"], "KES")
            self.assertEqual(
                item["amount"], f"{kes.round(payment.amount * 129.37):.2f}"
            )
        self.sim.flush()
        payments.invalidate_recordset()
        for payment in payments:
            self.assertEqual(payment.state, "paid")
            self.assertEqual(payment.paid_amount, payment.amount)
            self.assertEqual(payment.fsp_paid_amount, payment.fsp_amount)
            self.assertFalse(payment.is_overpaid)
        self._check_invariants(payroll)

    def test_timeout_after_the_request_left_is_resolved_by_status_query(self):
        payroll = self._payroll(["0003", "0000", "0002", "0000", "0000"])
        self._execute(payroll)
        self.assertEqual(set(self._state_list(payroll)), {"unknown"})
        self.fsp._spp_fetch_status(payroll.payment_ids)
        self.assertEqual(
            self._state_list(payroll),
            ["paid", "paid", "paid", "paid", "rejected"],
        )
        self.sim.flush()  # the callbacks arrive late: they change nothing more
        self.assertEqual(
            self._state_list(payroll),
            ["paid", "paid", "paid", "paid", "rejected"],
        )
        self._check_invariants(payroll)

    def test_5xx_and_429_are_retried_with_the_same_message(self):
        payroll = self._payroll(["0000"] * 5)
        self.sim.fail_next(503, 429)
        self._execute(payroll)
        disburse = [r for r in self.sim.requests if r[1] == "/disburse"]
        self.assertEqual(len({r[3] for r in disburse}), 1)
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        self.sim.flush()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self._check_invariants(payroll)

    def test_duplicate_and_replayed_callbacks_change_nothing(self):
        payroll = self._payroll(["0004", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        self.sim.flush()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        url, body, _status = self.sim.delivered[-1]
        # Replayed as sent, signature header included.
        headers = self.sim.callback_headers(json.dumps(body).encode())
        self.assertEqual(self._deliver(url, body, headers), 200)
        replayed = self.env["spp.payment.callback"].search(
            [("fsp_id", "=", self.fsp.id)], limit=1
        )
        self.assertEqual(replayed.state, "duplicate")
        for payment in payroll.payment_ids:
            events = payment.event_ids.filtered(lambda e: e.new_state == "paid")
            self.assertEqual(len(events), 1)
        self.sim.delivered.append((url, body, 200))
        self._check_invariants(payroll)

    def test_callbacks_out_of_order_never_move_backwards(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        self.sim.flush(reverse=True)  # succ first, then pdng
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        last = self.env["spp.payment.callback"].search(
            [("fsp_id", "=", self.fsp.id)], limit=1
        )
        self.assertIn("5 ignored", last.result)
        self._check_invariants(payroll)

    def test_callback_before_the_acknowledgement(self):
        payroll = self._payroll(["0000", "0002", "0000", "0000", "0000"])
        self.sim.callbacks_first = True
        self._execute(payroll)
        self.assertEqual(
            self._state_list(payroll),
            ["failed", "paid", "paid", "paid", "paid"],
        )
        self.assertFalse(
            self.env["spp.payment.callback"].search_count([("state", "=", "pending")])
        )
        self._check_invariants(payroll)

    def test_lost_callback_is_resolved_by_the_scheduled_query(self):
        payroll = self._payroll(["0005", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        self.sim.flush()
        lost = payroll.payment_ids.filtered(lambda p: p.destination.endswith("0005"))
        self.assertEqual(lost.state, "processing")
        self.assertEqual(self._state_list(payroll).count("paid"), 4)
        self.fsp.status_query_after_minutes = 0
        self._query_statuses()
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self._check_invariants(payroll)

    def test_no_payment_is_locked_while_the_fsp_is_called(self):
        states = self._assert_no_payment_locked_while_sending(
            "/disburse", ["0000", "0000", "0001"]
        )
        self.assertEqual(states, {"accepted"})

    def test_crash_between_sending_and_committing(self):
        payroll = self._payroll(["0000"] * 5)
        fsp_class = type(self.env["spp.fsp"])
        original = fsp_class._spp_g2p_handle_ack
        crashes = []

        def crash_once(fsp, payments, status, answer):
            if not crashes:
                crashes.append(status)
                raise ConnectionResetError("worker killed after the FSP answered")
            return original(fsp, payments, status, answer)

        self.patch(fsp_class, "_spp_g2p_handle_ack", crash_once)
        self._execute_with_crashing_delivery(payroll)
        self.assertEqual(crashes, [200])
        self.sim.flush()
        self.fsp._spp_fetch_status(payroll.payment_ids)
        self.assertEqual(set(self._state_list(payroll)), {"paid"})
        self._check_invariants(payroll)

    def test_failed_payments_are_retried_as_new_attempts(self):
        payroll = self._payroll(["0002", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        self.sim.flush()
        rejected = payroll.payment_ids.filtered(lambda p: p.state == "failed")
        first_key = rejected.current_attempt_id.idempotency_key
        rejected.membership_id.partner_id.phone_e164 = "+254711110000"
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_retry_failed()
            perform_jobs(trap)
        self.assertEqual(len(rejected.attempt_ids), 2)
        self.assertNotEqual(rejected.current_attempt_id.idempotency_key, first_key)
        self.sim.flush()
        self._check_invariants(payroll)

    def test_late_success_after_a_failure_and_a_retry_is_a_suspected_double(self):
        payment, first = self._failed_twice(
            ["0002", "0000", "0000", "0000", "0000"], self.sim.flush
        )
        # The receiver then pays the reference it had rejected, and says so.
        self.sim.late_success(first.idempotency_key)
        self.sim.flush()
        receivable = self._assert_suspected_double(
            payment, first, "callback", state="failed"
        )
        self.assertEqual(receivable.raw_status, "succ")
        self.assertEqual(receivable.payment_state, "failed")

    def test_a_reference_absent_from_the_status_answer_stays_unknown(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        self.sim.callbacks.clear()  # lost
        payment = payroll.payment_ids[0]
        payment._set_unknown(reason="test: no answer")
        # The receiver has no record of it (its status answer omits it).
        self.sim.statuses.pop(payment.current_attempt_id.idempotency_key)
        self.fsp._spp_fetch_status(payment)
        self.assertEqual(payment.state, "unknown")
        self.assertEqual(payment.current_attempt_id.fsp_status_raw, "absent")

    def _pull(self, payroll, user=None):
        """Press Pull, then run the jobs it queued, as the job runner would."""
        with trap_jobs() as trap:
            action = payroll.with_user(
                user or self.finance
            ).action_pull_reconciliation()
            perform_jobs(trap)
        return self.env["spp.reconciliation"].browse(action["res_id"])

    def _status_requests(self):
        return [r for r in self.sim.requests if r[1].endswith("/txn/status")]

    def test_pull_queues_chunks_and_asks_nobody_in_the_request(self):
        payroll = self._payroll(["0000", "0001", "0000", "0000", "0000"])
        self._execute(payroll)
        self.sim.callbacks.clear()  # every callback lost
        self.fsp.batch_size = 2
        before = self._state_list(payroll)
        self.sim.requests.clear()
        with trap_jobs() as trap:
            action = payroll.with_user(self.finance).action_pull_reconciliation()
            batch = self.env["spp.reconciliation"].browse(action["res_id"])
            # The request asked no FSP, changed no payment, recorded no line.
            self.assertEqual(self._status_requests(), [])
            self.assertEqual(self._state_list(payroll), before)
            self.assertFalse(batch.line_ids)
            self.assertEqual(
                (batch.pull_state, batch.pull_chunk_count, batch.pull_progress),
                ("running", 3, 0.0),
            )
            self.assertEqual(
                [len(job.args[1]) for job in trap.enqueued_jobs], [2, 2, 1]
            )
            self.assertEqual(len({job.identity_key for job in trap.enqueued_jobs}), 3)
            with self.assertRaisesRegex(UserError, "waiting for acceptance"):
                payroll.with_user(self.finance).action_pull_reconciliation()
            with self.assertRaisesRegex(UserError, "still pulling"):
                batch.with_user(self.finance).action_submit()
            perform_jobs(trap)
        # The jobs asked the FSP (a chunk a request), and the batch holds what
        # it reported, submitted for acceptance.
        batch.invalidate_recordset()
        self.assertEqual(len(self._status_requests()), 3)
        self.assertEqual(
            (batch.pull_state, batch.pull_chunks_done, batch.pull_progress),
            ("done", 3, 100.0),
        )
        self.assertEqual(batch.approval_state, "submitted")
        self.assertEqual(
            sorted(batch.line_ids.mapped("outcome")),
            ["paid", "paid", "paid", "paid", "rejected"],
        )
        self.assertEqual(sorted(batch.line_ids.mapped("row_no")), [1, 2, 3, 4, 5])
        self.assertEqual(batch.summary["pull"]["G2P Receiver"]["asked"], 5)
        self.assertEqual(self._state_list(payroll), before)
        batch.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(
            sorted(self._state_list(payroll)),
            ["paid", "paid", "paid", "paid", "rejected"],
        )
        self._check_invariants(payroll)

    def test_pull_chunk_run_again_applies_nothing_twice(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        self.sim.callbacks.clear()
        self.fsp.batch_size = 3
        with trap_jobs() as trap:
            action = payroll.with_user(self.finance).action_pull_reconciliation()
            batch = self.env["spp.reconciliation"].browse(action["res_id"])
            first, second = trap.enqueued_jobs
            first.perform()
            self.assertEqual((len(batch.line_ids), batch.pull_chunks_done), (3, 1))
            # The job runner runs it again (a worker died after its commit).
            first.perform()
            self.assertEqual((len(batch.line_ids), batch.pull_chunks_done), (3, 1))
            self.assertEqual(batch.pull_state, "running")
            second.perform()
            second.perform()
        self.assertEqual((len(batch.line_ids), batch.pull_chunks_done), (5, 2))
        self.assertEqual(
            len(set(batch.line_ids.mapped("payment_id"))), len(batch.line_ids)
        )
        self.assertEqual(batch.summary["pull"]["G2P Receiver"]["asked"], 5)
        self.assertEqual(batch.approval_state, "submitted")

    def test_pulled_success_for_a_payment_failed_since_is_a_suspected_double(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        self.sim.callbacks.clear()  # every callback lost
        batch = self._pull(payroll, user=self.manager2)
        self.assertEqual(set(batch.line_ids.mapped("outcome")), {"paid"})
        # Before acceptance, another report fails one of them (a bank's return).
        payment = payroll.payment_ids[0]
        payment._set_failed(reason="returned by the bank")
        batch.with_user(self.users["finance_manager"]).action_approve()
        self._assert_suspected_double(
            payment, payment.current_attempt_id, "api_pull", state="failed"
        )
        line = batch.line_ids.filtered(lambda x: x.payment_id == payment)
        self.assertEqual(line.outcome, "skipped")
        self.assertIn("suspected double payment", line.note)
        self.assertEqual(self._state_list(payroll).count("paid"), 4)

    def test_reconciliation_pulled_by_api_is_accepted_by_a_second_user(self):
        payroll = self._payroll(["0000", "0001", "0002", "0005", "0000"])
        self._execute(payroll)
        self.sim.callbacks.clear()  # every callback lost
        batch = self._pull(payroll, user=self.manager2)
        self.assertEqual((batch.source, batch.approval_state), ("api", "submitted"))
        self.assertEqual(batch.fsp_id, self.fsp)
        self.assertEqual(
            sorted(batch.line_ids.mapped("outcome")),
            ["paid", "paid", "paid", "rejected", "rejected"],
        )
        self.assertEqual(batch.summary["pull"]["G2P Receiver"]["asked"], 5)
        self.assertEqual(
            {(r["fsp"], r["channel"]) for r in batch.summary["by_fsp_channel"]},
            {("G2P Receiver", "digital")},
        )
        # Nothing moves before a checker accepts; the puller cannot accept.
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            batch.with_user(self.manager2).action_approve()
        with self.assertRaisesRegex(UserError, "waiting for acceptance"):
            self._pull(payroll)
        batch.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(
            self._state_list(payroll),
            ["paid", "paid", "paid", "rejected", "rejected"],
        )
        paid = payroll.payment_ids.filtered(lambda p: p.state == "paid")
        self.assertEqual(paid.mapped("paid_amount"), paid.mapped("amount"))
        self.assertTrue(all(paid.mapped("paid_date")))
        # Nothing new: the pull closes its batch, with what the FSP said about
        # the three paid (the rejected ones are not asked about).
        nothing = self._pull(payroll)
        self.assertEqual((nothing.pull_state, nothing.cleared), ("done", True))
        self.assertFalse(nothing.line_ids)
        self.assertEqual(
            nothing.summary["pull"]["G2P Receiver"],
            {"asked": 3, "reported": 3, "same": 3},
        )
        self._check_invariants(payroll)

    def test_rejected_pull_is_cleared_and_pulled_again(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        self.sim.callbacks.clear()
        batch = self._pull(payroll)
        batch.with_user(self.users["finance_manager"]).action_reject(
            reason="pulled before the FSP's cut-off"
        )
        self.assertTrue(batch.cleared)
        self.assertFalse(batch.line_ids)
        self.assertEqual(set(self._state_list(payroll)), {"accepted"})
        again = self._pull(payroll)
        self.assertNotEqual(again, batch)
        self.assertEqual(len(again.line_ids), 5)


class TestG2pConnectSignedCallbacks(SppPayrollCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
        public = cls.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        cls.fsp.sudo().write(
            {
                "provider": "g2p_connect",
                "api_url": "http://127.0.0.1:9",
                "g2p_fsp_public_key": base64.b64encode(public).decode(),
            }
        )

    def _callback(self, signer):
        head = {
            "version": "1.0.0",
            "message_id": "cb-1",
            "message_ts": g2p_connect.now_iso(),
            "action": "on-disburse",
            "status": "succ",
        }
        message = {
            "transaction_id": "T",
            "disbursements_status": [
                {
                    "reference_id": "k",
                    "timestamp": g2p_connect.now_iso(),
                    "status": "succ",
                }
            ],
        }
        return json.dumps(g2p_connect.envelope(head, message, signer)).encode()

    @mute_logger(CALLBACK_LOGGER)
    def test_unsigned_or_badly_signed_callbacks_are_refused(self):
        public_id = self.fsp.callback_public_id
        wrong = g2p_connect.ed25519_signer(bytes(32), "other")
        for body in (self._callback(None), self._callback(wrong)):
            status, _answer = self._receive(public_id, body, {})
            self.assertEqual(status, 401)
        good = g2p_connect.ed25519_signer(bytes(range(32)), "fsp")
        status, _answer = self._receive(public_id, self._callback(good), {})
        last = self.env["spp.payment.callback"].search([], limit=1)
        self.assertEqual(status, 200, last.result)
        states = self.env["spp.payment.callback"].search([]).mapped("state")
        self.assertEqual(sorted(states), ["applied", "refused", "refused"])

    @mute_logger(CALLBACK_LOGGER)
    def test_jws_signed_callbacks(self):
        fsp_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.fsp.sudo().write(
            {
                "g2p_signing": "jws",
                "g2p_fsp_public_key": fsp_key.public_key()
                .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
                .decode(),
            }
        )
        public_id = self.fsp.callback_public_id
        for key, expected in ((other, 401), (fsp_key, 200)):
            signer = g2p_connect.jws_signer(_pem(key), "fsp|1")
            body = self._callback(signer)
            status, _answer = self._receive(public_id, body, {})
            self.assertEqual(status, expected)
        states = self.env["spp.payment.callback"].search([]).mapped("state")
        self.assertEqual(sorted(states), ["applied", "refused"])

    @mute_logger(CALLBACK_LOGGER)
    def test_without_a_public_key_our_hmac_header_is_required(self):
        """No message signature configured: an unsigned callback is refused
        unless it carries the HMAC of its bytes by our callback secret; one
        that is signed both ways must pass both."""
        secret = self.fsp.sudo().callback_secret
        public_id = self.fsp.callback_public_id
        body = self._callback(None)
        self.fsp.sudo().g2p_fsp_public_key = False
        for headers in ({}, {"x-spp-signature": callbacks.sign("guess", body)}):
            status, _answer = self._receive(public_id, body, headers)
            self.assertEqual(status, 401)
        good = {"x-spp-signature": callbacks.sign(secret, body)}
        self.assertEqual(self._receive(public_id, body, good)[0], 200)
        # With the public key again, a wrong HMAC beside a good message
        # signature is still refused.
        self.fsp.sudo().g2p_fsp_public_key = base64.b64encode(
            self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode()
        signed = self._callback(g2p_connect.ed25519_signer(bytes(range(32)), "fsp"))
        bad = {"x-spp-signature": callbacks.sign(secret, body)}
        self.assertEqual(self._receive(public_id, signed, bad)[0], 401)
        states = self.env["spp.payment.callback"].search([]).mapped("state")
        self.assertEqual(sorted(states), ["applied", "refused", "refused", "refused"])

    def _receive(self, public_id, body, headers):
        return self.env["spp.payment.callback"]._spp_receive(public_id, body, headers)


def _pem(key):
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
