# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from psycopg2 import IntegrityError
from spp_payment_core.outcomes import Outcome

from odoo.exceptions import UserError
from odoo.tools import mute_logger

from .common import SppBaseCommon


class TestPaymentStates(SppBaseCommon):
    def test_queueing_and_delivering_are_separate_steps(self):
        payment = self._create_payment(120.0)
        payment._set_approved()
        payment._spp_queue_for_sending()
        # Recorded with its key, not sent: a commit may come between the two.
        self.assertEqual(payment.state, "queued")
        self.assertEqual(payment.current_attempt_id.state, "queued")
        self.assertTrue(payment.current_attempt_id.idempotency_key)
        payment._spp_deliver()
        self.assertEqual(payment.state, "sent")
        self.assertEqual(payment.attempt_count, 1)

    def test_report_for_a_payment_being_sent_leaves_its_attempt_alone(self):
        """A callback that overtakes its sender stays pending and writes nothing
        the sender is about to update (the sender's update would fail)."""
        payment = self._create_payment(120.0)
        payment._set_approved()
        payment._spp_queue_for_sending()
        attempt = payment.current_attempt_id
        write_date = attempt.write_date
        counts = self.fsp._spp_apply_outcomes(
            [Outcome(attempt.idempotency_key, "paid", "Completed", receipt="R1")]
        )
        self.assertEqual(counts["pending"], 1)
        attempt.invalidate_recordset()
        self.assertFalse(attempt.fsp_txn_id)
        self.assertFalse(attempt.fsp_status_raw)
        self.assertEqual(attempt.write_date, write_date)

    def test_happy_path_with_manual_provider(self):
        payment = self._create_payment(120.0)
        self.assertEqual(payment.state, "draft")
        self.assertTrue(payment.reference.startswith("PAY"))
        payment._set_approved()
        payment._spp_send()
        self.assertEqual(payment.state, "sent")
        attempt = payment.current_attempt_id
        self.assertEqual(attempt.attempt_no, 1)
        self.assertEqual(attempt.state, "sent")
        payment._set_paid(reason="bank statement")
        self.assertEqual(payment.state, "paid")
        self.assertEqual(payment.paid_amount, 120.0)
        self.assertEqual(attempt.state, "paid")
        self.assertEqual(
            payment.event_ids.sorted("id").mapped("new_state"),
            ["approved", "queued", "sent", "paid"],
        )
        self.assertEqual(self.membership.paid_total, 120.0)
        self.assertEqual(self.membership.payment_count, 1)

    def test_illegal_transitions_refused_and_nothing_changes(self):
        draft = self._create_payment()
        with self.assertRaisesRegex(UserError, "Illegal payment transition"):
            draft._set_paid()
        paid = self._create_payment()
        paid._set_approved()
        paid._spp_send()
        paid._set_paid()
        # One illegal member refuses the whole set.
        other = self._create_payment()
        other._set_approved()
        with self.assertRaisesRegex(UserError, "Illegal payment transition"):
            (paid | other)._set_cancelled()
        self.assertEqual(other.state, "approved")
        for illegal in ("_set_failed", "_set_queued", "_set_approved", "_set_unknown"):
            with self.assertRaisesRegex(UserError, "Illegal"):
                getattr(paid, illegal)()
        self.assertEqual(paid.state, "paid")
        self.assertEqual(len(paid.event_ids), 4)

    def test_repeated_notification_changes_nothing(self):
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        payment._set_paid()
        events = len(payment.event_ids)
        moved = payment._set_paid()
        self.assertFalse(moved)
        self.assertEqual(len(payment.event_ids), events)
        self.assertEqual(self.membership.paid_total, payment.amount)

    def test_state_not_writable_by_rpc(self):
        payment = self._create_payment()
        officer = payment.with_user(self.users["finance_officer"])
        for field, value in (("state", "paid"), ("paid_amount", 5.0)):
            with self.assertRaisesRegex(UserError, "through their transitions"):
                officer.write({field: value})
        with self.assertRaisesRegex(UserError, "created as a draft"):
            self._create_payment(state="paid")
        payment._set_approved()
        with self.assertRaisesRegex(UserError, "no longer drafts"):
            officer.write({"amount": 999.0})
        with self.assertRaisesRegex(UserError, "Only draft payments"):
            payment.unlink()
        officer.write({"note": "called the beneficiary"})

    def test_retry_is_a_new_attempt_with_a_new_key(self):
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        first = payment.current_attempt_id
        payment._set_failed(reason="insufficient funds")
        payment._spp_send()
        second = payment.current_attempt_id
        self.assertNotEqual(first, second)
        self.assertEqual(first.state, "failed")
        self.assertEqual(second.attempt_no, 2)
        self.assertNotEqual(first.idempotency_key, second.idempotency_key)
        self.assertEqual(len(payment.attempt_ids), 2)

    def test_idempotency_key_is_deterministic(self):
        from spp_payment_core.idempotency import idempotency_key

        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        db_uuid = self.env["ir.config_parameter"].get_param("database.uuid")
        self.assertEqual(
            payment.current_attempt_id.idempotency_key,
            idempotency_key(db_uuid, payment.id, 1),
        )

    def test_unknown_payment_is_never_resent_blind(self):
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        payment._set_unknown(reason="timeout")
        with self.assertRaisesRegex(UserError, "Illegal"):
            payment._spp_send()
        self.assertEqual(len(payment.attempt_ids), 1)
        # A status query proves it did not go through: only then a retry.
        payment._set_failed(reason="status query: not found")
        payment._spp_send()
        self.assertEqual(len(payment.attempt_ids), 2)

    def test_retry_limit(self):
        self.fsp.max_retries = 1
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        payment._set_failed()
        payment._spp_send()
        payment._set_rejected()
        with self.assertRaisesRegex(UserError, "No retries left"):
            payment._spp_send()
        self.assertEqual(payment.state, "rejected")
        self.assertEqual(len(payment.attempt_ids), 2)

    def test_database_refuses_second_successful_attempt(self):
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        payment._set_paid()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "INSERT INTO spp_payment_attempt (payment_id, attempt_no, "
                    "idempotency_key, state) VALUES (%s, 2, 'forged', 'paid')",
                    [payment.id],
                )

    def _forge_attempt(self, payment, number, state):
        """An attempt written behind the ORM's back, as a bug or a second
        worker racing the first would."""
        with self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO spp_payment_attempt (payment_id, attempt_no, "
                "idempotency_key, state) VALUES (%s, %s, %s, %s)",
                [payment.id, number, f"forged-{payment.id}-{number}", state],
            )

    def test_database_refuses_second_attempt_in_flight_or_paid(self):
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        self.assertEqual(payment.current_attempt_id.state, "sent")
        # In flight: neither a second send nor a success on another attempt.
        for state in ("queued", "sent", "unknown", "paid"):
            with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
                self._forge_attempt(payment, 2, state)
        payment._set_paid()
        self.assertEqual(payment.current_attempt_id.state, "paid")
        # Paid: no second success, and nothing sent again.
        for state in ("paid", "queued", "processing"):
            with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
                self._forge_attempt(payment, 2, state)
        # A closed attempt (failed, rejected) holds nothing.
        self._forge_attempt(payment, 2, "failed")

    def test_failed_attempt_frees_the_payment_for_a_retry(self):
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        payment._set_failed(reason="status query: not found")
        payment._spp_send()
        payment._set_paid()
        self.assertEqual(
            payment.attempt_ids.sorted("attempt_no").mapped("state"),
            ["failed", "paid"],
        )
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._forge_attempt(payment, 3, "paid")

    def test_partial_payment_and_reversal_move_balance(self):
        self.program.is_balance_based = True
        self.membership.entitled_total = 300.0
        self.assertEqual(self.membership.balance, 300.0)
        payment = self._create_payment(100.0)
        payment._set_approved()
        payment._spp_send()
        # Nothing moves before the FSP confirms.
        self.assertEqual(self.membership.balance, 300.0)
        payment._set_paid(paid_amounts={payment.id: 60.0})
        self.assertEqual(payment.paid_amount, 60.0)
        self.assertEqual(self.membership.paid_total, 60.0)
        self.assertEqual(self.membership.balance, 240.0)
        payment._set_reversed(reason="returned by bank")
        self.assertEqual(self.membership.paid_total, 0.0)
        self.assertEqual(self.membership.balance, 300.0)
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            self.membership.with_user(self.users["program_officer"]).write(
                {"paid_total": 1000.0}
            )

    def test_manual_provider_hooks(self):
        self.assertIsNone(self.fsp._spp_get_balance())
        self.assertEqual(self.fsp._spp_fetch_status(self.env["spp.payment"]), 0)
        with self.assertRaisesRegex(UserError, "does not accept callbacks"):
            self.fsp._spp_handle_callback({})
        self.fsp.state = "disabled"
        payment = self._create_payment()
        payment._set_approved()
        with self.assertRaisesRegex(UserError, "disabled"):
            payment._spp_send()

    def test_attempt_count_and_last_fsp_message_are_stored_set_based(self):
        payments = self._create_payment() | self._create_payment()
        payments |= self._create_payment()
        payments._set_approved()
        payments._spp_send()
        first = {p: p.current_attempt_id for p in payments}
        self.fsp._spp_apply_outcomes(
            [
                Outcome(
                    first[payments[0]].idempotency_key,
                    "failed",
                    "FAILED",
                    reason_code="R01",
                    reason="Insufficient funds",
                ),
                Outcome(first[payments[1]].idempotency_key, "failed", "REJECTED"),
                Outcome(first[payments[2]].idempotency_key, "paid", "COMPLETED"),
            ]
        )
        failed = payments[:2]
        failed._spp_send()  # the retry: a second attempt for both at once
        second = failed[0].current_attempt_id
        self.fsp._spp_apply_outcomes(
            [Outcome(second.idempotency_key, "failed", "FAILED", reason="Closed")]
        )
        # Stored columns, read from the table: what filters and groups use.
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, attempt_count, last_fsp_message FROM spp_payment "
            "WHERE id = ANY(%s)",
            [payments.ids],
        )
        stored = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        self.assertEqual(stored[payments[0].id], (2, "Closed"))
        # The retry was queued but not answered: its last message stands.
        self.assertEqual(stored[payments[1].id], (2, "REJECTED"))
        self.assertEqual(stored[payments[2].id], (1, "COMPLETED"))
        self.assertEqual(payments[0].attempt_count, 2)
        self.assertEqual(
            self.env["spp.payment"].search(
                [("id", "in", payments.ids), ("attempt_count", "=", 2)]
            ),
            failed,
        )
        for field in ("attempt_count", "last_fsp_message"):
            self.assertTrue(self.env["spp.payment"]._fields[field].store)
            with self.assertRaisesRegex(UserError, "through their transitions"):
                payments[2].with_user(self.users["finance_officer"]).write(
                    {field: 5 if field == "attempt_count" else "x"}
                )


class TestPaymentChanges(SppBaseCommon):
    def test_receipt_of_a_paid_payment_is_never_replaced_and_edits_leave_a_trace(
        self,
    ):
        payment = self._create_payment(80.0)
        payment._set_approved()
        payment._spp_send()
        payment._set_paid(reason="bank statement")
        payment.sudo().write({"external_ref": "RCPT-1"})
        officer = self.users["finance_officer"]
        # The FSP's evidence of a payment is not overwritten by hand.
        with self.assertRaisesRegex(UserError, "cannot be replaced"):
            payment.with_user(officer).write({"external_ref": "RCPT-FORGED"})
        self.assertEqual(payment.external_ref, "RCPT-1")
        changes = self.env["spp.payment.change"].search(
            [("payment_id", "=", payment.id)], order="id"
        )
        # The first receipt was recorded as a change (who, before, after).
        self.assertEqual(
            [(c.old_value, c.new_value) for c in changes], [(False, "RCPT-1")]
        )
        self.assertEqual(changes.user_id, self.env.user)
        # A write that changes nothing leaves nothing.
        payment.with_user(officer).write({"external_ref": "RCPT-1"})
        self.assertEqual(
            self.env["spp.payment.change"].search_count(
                [("payment_id", "=", payment.id)]
            ),
            1,
        )
