# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core.outcomes import Outcome

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from .common import SppBaseCommon

MANAGER = "spp_payment_base.group_spp_finance_manager"


class TestDoublePayment(SppBaseCommon):
    """A success the FSP reports for money we did not mean to pay is recorded
    as an overpayment receivable, flagged and given to the Finance Managers;
    never dropped as stale or final."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fsp.max_retries = 3

    def _sent(self, amount=100.0):
        payment = self._create_payment(amount)
        payment._set_approved()
        payment._spp_send()
        return payment

    def _report(self, payment, state, key=None, **values):
        key = key or payment.current_attempt_id.idempotency_key
        return self.fsp._spp_apply_outcomes(
            [Outcome(key, state, **values)], source="callback"
        )

    def _activities(self, receivable):
        return self.env["mail.activity"].search(
            [("res_model", "=", receivable._name), ("res_id", "=", receivable.id)]
        )

    def _open(self, payment):
        return self.env["spp.payment.overpayment"].search(
            [("payment_id", "=", payment.id), ("state", "=", "open")]
        )

    def test_success_for_a_failed_payment_is_a_suspected_double(self):
        payment = self._sent()
        key = payment.current_attempt_id.idempotency_key
        self._report(payment, "failed", raw_status="1")
        counts = self._report(
            payment, "paid", raw_status="0", receipt="RCPT-LATE", amount=Decimal(100)
        )
        self.assertEqual(counts["suspected_double"], 1)
        self.assertFalse(counts.get("ignored"))
        self.assertEqual(payment.state, "failed")
        self.assertTrue(payment.is_suspected_double)
        (receivable,) = self._open(payment)
        self.assertEqual(receivable.kind, "double")
        self.assertEqual(receivable.source, "callback")
        self.assertEqual(receivable.amount, 100.0)
        self.assertEqual(receivable.partner_id, self.household)
        self.assertEqual(receivable.attempt_id.idempotency_key, key)
        self.assertEqual(receivable.payment_state, "failed")
        self.assertEqual(
            (receivable.raw_status, receivable.receipt), ("0", "RCPT-LATE")
        )
        # One to-do for each Finance Manager of the company.
        managers = self.env.ref(MANAGER).all_user_ids.filtered(
            lambda u: self.env.company in u.company_ids
        )
        self.assertEqual(self._activities(receivable).user_id, managers)
        self.assertIn(self.manager2, managers)

    def test_success_for_a_replaced_attempt_after_a_retry(self):
        payment = self._sent()
        first = payment.current_attempt_id
        self._report(payment, "failed")
        payment._spp_send()  # the retry: a new attempt, a new key
        self.assertNotEqual(payment.current_attempt_id, first)
        counts = self._report(payment, "paid", key=first.idempotency_key)
        self.assertEqual(counts["suspected_double"], 1)
        self.assertEqual(payment.state, "sent")
        (receivable,) = self._open(payment)
        self.assertEqual(receivable.attempt_id, first)
        self.assertIn("not the current one", receivable.note)
        # The same report again (a repeated callback) adds nothing.
        self._report(payment, "paid", key=first.idempotency_key)
        self.assertEqual(len(self._open(payment)), 1)

    def test_success_for_reversed_and_rejected_payments(self):
        reversed_payment = self._sent()
        self._report(reversed_payment, "paid", receipt="R1")
        self._report(reversed_payment, "reversed")
        self.assertEqual(reversed_payment.state, "reversed")
        self._report(reversed_payment, "paid", receipt="R2")
        rejected = self._sent()
        self._report(rejected, "rejected")
        self._report(rejected, "paid")
        for payment in (reversed_payment, rejected):
            self.assertTrue(payment.is_suspected_double)
            self.assertEqual(self._open(payment).kind, "double")

    def test_paid_amount_above_the_issued_amount_is_flagged(self):
        payment = self._sent(100.0)
        self._report(payment, "paid", amount=Decimal("130.50"))
        self.assertEqual(payment.state, "paid")
        self.assertEqual(payment.paid_amount, 130.5)
        self.assertTrue(payment.is_overpaid)
        self.assertFalse(payment.is_suspected_double)
        (receivable,) = self._open(payment)
        self.assertEqual((receivable.kind, receivable.amount), ("excess", 30.5))

    def test_a_paid_receipt_is_never_replaced_silently(self):
        payment = self._sent()
        self._report(payment, "paid", receipt="FIRST")
        self.assertEqual(payment.external_ref, "FIRST")
        # By hand: refused.
        with self.assertRaisesRegex(UserError, "cannot be replaced"):
            payment.with_user(self.users["finance_manager"]).external_ref = "OTHER"
        # By the FSP: kept out, and written to the event log, old and new.
        self._report(payment, "paid", receipt="SECOND")
        self.assertEqual(payment.external_ref, "FIRST")
        self.assertEqual(payment.current_attempt_id.fsp_txn_id, "FIRST")
        self.assertIn(
            "FSP reported receipt SECOND; kept FIRST",
            payment.event_ids.mapped("reason"),
        )

    def test_only_a_finance_manager_resolves_and_it_is_recorded(self):
        payment = self._sent()
        self._report(payment, "failed")
        self._report(payment, "paid")
        receivable = self._open(payment)
        officer = self.users["finance_officer"]
        with self.assertRaises(AccessError):
            receivable.with_user(officer)._spp_resolve("written_off", "small")
        with self.assertRaises(UserError):
            receivable.with_user(officer).write({"state": "written_off"})
        manager = self.users["finance_manager"]
        with self.assertRaisesRegex(UserError, "needs a note"):
            receivable.with_user(manager)._spp_resolve("recovered", " ")
        self.env["spp.payment.overpayment.resolve"].with_user(manager).with_context(
            active_ids=receivable.ids
        ).create(
            {"resolution": "recovered", "note": "repaid at the office"}
        ).action_confirm()
        self.assertEqual(receivable.state, "recovered")
        self.assertEqual(receivable.resolved_by_id, manager)
        self.assertEqual(receivable.resolution_note, "repaid at the office")
        self.assertFalse(self._activities(receivable))
        self.assertFalse(payment.is_suspected_double)

    def test_receivables_are_not_made_or_deleted_by_hand(self):
        payment = self._sent()
        with self.assertRaisesRegex(UserError, "not by hand"):
            self.env["spp.payment.overpayment"].create(
                {
                    "payment_id": payment.id,
                    "partner_id": payment.partner_id.id,
                    "company_id": payment.company_id.id,
                    "kind": "double",
                    "source": "callback",
                }
            )
        with self.assertRaisesRegex(UserError, "cannot be written"):
            payment.write({"is_suspected_double": True})
        self._report(payment, "failed")
        self._report(payment, "paid")
        with self.assertRaisesRegex(UserError, "kept for audit"):
            self._open(payment).unlink()

    def test_other_companies_do_not_see_the_receivables(self):
        payment = self._sent()
        self._report(payment, "failed")
        self._report(payment, "paid")
        other = self.env["res.company"].create({"name": "Other Agency"})
        outsider = new_test_user(
            self.env,
            login="spp_outsider",
            groups=MANAGER,
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        receivables = self.env["spp.payment.overpayment"].with_user(outsider)
        self.assertFalse(receivables.search([("payment_id", "=", payment.id)]))
        # Nor get an activity for them.
        self.assertNotIn(outsider, self._activities(self._open(payment)).user_id)


class TestUnknownStaysUnknown(SppBaseCommon):
    def _unknown(self):
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        payment._set_unknown(reason="no answer")
        return payment

    def test_only_a_finance_manager_decides_and_it_is_recorded(self):
        payment = self._unknown()
        with self.assertRaises(AccessError):
            payment.with_user(self.users["finance_officer"])._spp_decide_unknown(
                "failed", "no trace at the bank"
            )
        self.assertEqual(payment.state, "unknown")
        manager = self.users["finance_manager"]
        with self.assertRaisesRegex(UserError, "needs a note"):
            payment.with_user(manager)._spp_decide_unknown("failed", "")
        self.env["spp.payment.unknown.decision"].with_user(manager).with_context(
            active_ids=payment.ids
        ).create(
            {"decision": "failed", "note": "no trace at the bank"}
        ).action_confirm()
        self.assertEqual(payment.state, "failed")
        event = payment.event_ids.sorted("id")[-1]
        self.assertEqual(event.user_id, manager)
        self.assertIn("no trace at the bank", event.reason)
        # Only unknown payments are decided.
        with self.assertRaisesRegex(UserError, "Only unknown payments"):
            payment.with_user(manager)._spp_decide_unknown("paid", "again")

    def test_retries_skip_exhausted_payments_when_asked(self):
        self.fsp.max_retries = 0
        payment = self._create_payment()
        payment._set_approved()
        payment._spp_send()
        payment._set_failed()
        with self.assertRaisesRegex(UserError, "No retries left"):
            payment._spp_send()
        self.assertFalse(payment._spp_send(skip_exhausted=True))
        self.assertEqual(payment.state, "failed")
