# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A payroll's payments enter it only through the payroll, every edit of them is
evidence that re-runs its checks, and whoever touched them does not approve it."""

import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tools import mute_logger

from .common import SppPayrollCommon


class TestPayrollEntry(SppPayrollCommon):
    """Payments enter a payroll only through the payroll, never by a create or a
    write, whoever calls (sudo included)."""

    def _forged(self, payroll, **vals):
        return {
            "program_id": self.program.id,
            "membership_id": self.members[0].id,
            "partner_id": self.households[0].id,
            "fsp_id": self.fsp.id,
            "amount": 5000.0,
            "destination": "+254799999999",
            "payroll_id": payroll.id,
            **vals,
        }

    def _submitted_payroll(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        payroll.with_user(self.users["program_officer"]).action_submit()
        return payroll

    def test_create_into_submitted_or_approved_payroll_refused(self):
        submitted = self._submitted_payroll()
        total = submitted.total_amount
        payments = self.env["spp.payment"]
        for env_payments in (
            payments.with_user(self.users["program_officer"]),
            payments.with_user(self.users["admin"]),
            payments.sudo(),
        ):
            with self.assertRaisesRegex(UserError, "enter a payroll only through"):
                env_payments.create(self._forged(submitted))
        submitted.with_user(self.users["finance_manager"]).action_approve()
        with self.assertRaisesRegex(UserError, "enter a payroll only through"):
            payments.sudo().create(self._forged(submitted))
        submitted.invalidate_recordset()
        self.assertEqual(submitted.payment_count, 5)
        self.assertEqual(submitted.total_amount, total)
        self.assertNotIn(5000.0, submitted.payment_ids.mapped("amount"))

    def test_create_into_draft_payroll_refused_outside_its_code(self):
        draft = self._new_payroll()
        draft.action_generate()
        with self.assertRaisesRegex(UserError, "enter a payroll only through"):
            self.env["spp.payment"].with_user(self.users["program_officer"]).create(
                self._forged(draft)
            )
        # Nor through the payroll's one2many.
        with self.assertRaisesRegex(UserError, "enter a payroll only through"):
            draft.with_user(self.users["program_officer"]).write(
                {"payment_ids": [(0, 0, self._forged(draft, payroll_id=False))]}
            )
        self.assertEqual(draft.payment_count, 5)

    def test_payment_cannot_move_into_or_out_of_a_payroll(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        loose = self.env["spp.payment"].create(self._forged(payroll, payroll_id=False))
        officer_loose = loose.with_user(self.users["program_officer"])
        for vals in (
            {"payroll_id": payroll.id},
            {"excluded_payroll_id": payroll.id},
            {"cycle_id": self.cycle.id},
        ):
            with self.assertRaisesRegex(UserError, "set by the payroll"):
                officer_loose.write(vals)
            with self.assertRaisesRegex(UserError, "set by the payroll"):
                loose.sudo().write(vals)
        inside = payroll.payment_ids[0].with_user(self.users["admin"])
        with self.assertRaisesRegex(UserError, "set by the payroll"):
            inside.write({"payroll_id": False})
        self.assertFalse(loose.payroll_id)
        self.assertEqual(payroll.payment_count, 5)

    def test_checks_of_a_payroll_payment_are_not_hand_written(self):
        self.households[3].phone_e164 = "+254700000003"  # same MSISDN as [2]
        payroll = self._new_payroll()
        payroll.action_generate()
        flagged = payroll.payment_ids.filtered("is_duplicate")
        self.assertEqual(len(flagged), 2)
        for vals in (
            {"is_duplicate": False},
            {"duplicate_reason": False},
            {"is_capped": False},
            {"entitlement_rejected": False},
        ):
            with self.assertRaisesRegex(UserError, "payroll's checks"):
                flagged[0].with_user(self.users["program_officer"]).write(vals)
        self.assertTrue(all(flagged.mapped("is_duplicate")))

    def test_payroll_import_path_takes_payments_into_drafts_only(self):
        payroll = self._new_payroll(name="Ad-hoc")
        created = payroll.with_user(self.users["program_officer"])._spp_create_payments(
            [self._forged(payroll, payroll_id=False, amount=12.5)]
        )
        self.assertEqual(created.payroll_id, payroll)
        self.assertEqual(created.cycle_id, self.cycle)
        payroll.generated_date = payroll.create_date
        payroll.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(UserError, "no payment enters it"):
            payroll._spp_create_payments([self._forged(payroll, payroll_id=False)])

    def test_locked_payroll_refuses_sql_changes(self):
        """The database itself refuses changing who is paid, how much, where
        and through whom in a submitted payroll, and deleting its payments."""
        payroll = self._submitted_payroll()
        payment = payroll.payment_ids[0]
        self.env.flush_all()
        statements = (
            ("UPDATE spp_payment SET amount = 5000 WHERE id = %s", "amount"),
            ("UPDATE spp_payment SET destination = '+1' WHERE id = %s", "dest"),
            ("UPDATE spp_payment SET payroll_id = NULL WHERE id = %s", "out"),
            ("DELETE FROM spp_payment WHERE id = %s", "delete"),
        )
        for statement, label in statements:
            with self.subTest(label):
                with mute_logger("odoo.sql_db"):
                    with self.assertRaisesRegex(psycopg2.Error, "are locked"):
                        with self.env.cr.savepoint():
                            self.env.cr.execute(statement, [payment.id])
        # A transition changes none of those columns and passes.
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})
        # An unrelated payment outside any payroll stays writable in SQL.
        loose = self.env["spp.payment"].create(self._forged(payroll, payroll_id=False))
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE spp_payment SET amount = 7 WHERE id = %s", [loose.id]
        )

    def test_generation_checks_its_payroll_is_a_draft(self):
        payroll = self._submitted_payroll()
        with self.assertRaisesRegex(UserError, "no longer a draft"):
            payroll.with_user(self.users["admin"]).action_generate()


class TestPaymentEditsAreEvidence(SppPayrollCommon):
    """An edit of a generated payment is recorded (who, field, before, after),
    re-runs the payroll's checks at submission, and bars its author from
    approving the payroll."""

    def _generated(self, **vals):
        payroll = self._new_payroll(**vals)
        payroll.action_generate()
        return payroll

    def test_edit_is_recorded_with_before_and_after(self):
        payroll = self._generated()
        payment = self._payment_of(payroll, self.households[2])
        self.assertFalse(payroll.lines_edited)
        payment.with_user(self.users["finance_manager"]).write(
            {"destination": "+254799000000", "amount": 50.7}
        )
        changes = self.env["spp.payment.change"].search(
            [("payment_id", "=", payment.id)]
        )
        # The amount did not change (50.70 written as 50.7): only the destination.
        self.assertEqual(len(changes), 1)
        self.assertEqual(changes.field_name, "destination")
        self.assertEqual(changes.field_id.name, "destination")
        self.assertEqual(changes.old_value, "+254700000003")
        self.assertEqual(changes.new_value, "+254799000000")
        self.assertEqual(changes.user_id, self.users["finance_manager"])
        self.assertEqual(changes.payroll_id, payroll)
        self.assertEqual(changes.payment_reference, payment.reference)
        self.assertEqual(payroll.payment_change_ids, changes)
        self.assertTrue(payroll.lines_edited)
        # A removal is evidence too.
        removed = self._payment_of(payroll, self.households[3])
        reference = removed.reference
        removed.with_user(self.users["program_officer"]).action_remove_from_payroll()
        gone = self.env["spp.payment.change"].search(
            [("payment_reference", "=", reference)]
        )
        self.assertEqual(gone.field_name, "payroll_id")
        self.assertEqual(gone.old_value, str(payroll.id))
        self.assertFalse(gone.new_value)
        # Nobody edits or deletes the evidence.
        with self.assertRaises(AccessError):
            changes.with_user(self.users["admin"]).write({"new_value": "x"})
        with self.assertRaises(AccessError):
            changes.with_user(self.users["admin"]).unlink()
        with self.assertRaisesRegex(UserError, "Only an edit of the payments"):
            payroll.with_user(self.users["program_officer"]).write(
                {"lines_edited": False}
            )

    def test_edits_rerun_duplicate_flags_at_submission(self):
        payroll = self._generated()
        self.assertFalse(payroll.payment_ids.filtered("is_duplicate"))
        # Three payments pointed at one phone number after generation.
        targets = payroll.payment_ids.filtered(
            lambda p: p.partner_id in self.households[1:4]
        )
        targets.with_user(self.users["program_officer"]).write(
            {"destination": "+254755555555"}
        )
        self.assertFalse(targets.filtered("is_duplicate"))
        payroll.with_user(self.users["program_officer"]).action_submit()
        targets.invalidate_recordset()
        self.assertEqual(targets.filtered("is_duplicate"), targets)
        self.assertIn("destination shared", targets[0].duplicate_reason)
        self.assertEqual(payroll.flagged_count, 3)
        self.assertFalse(payroll.lines_edited)
        self.assertIn("3 payments flagged", payroll.message_ids[1].body)

    def test_rerun_clears_flags_whose_cause_was_edited_away(self):
        self.households[3].phone_e164 = "+254700000003"  # same MSISDN as [2]
        payroll = self._generated()
        self.assertEqual(len(payroll.payment_ids.filtered("is_duplicate")), 2)
        self._payment_of(payroll, self.households[3]).with_user(
            self.users["program_officer"]
        ).write({"destination": "+254700000004"})
        payroll.with_user(self.users["program_officer"]).action_submit()
        payroll.payment_ids.invalidate_recordset()
        self.assertFalse(payroll.payment_ids.filtered("is_duplicate"))

    def test_enforced_duplicates_created_by_an_edit_leave_at_submission(self):
        payroll = self._generated(enforce_duplicates=True)
        pair = payroll.payment_ids.filtered(
            lambda p: p.partner_id in self.households[1:3]
        )
        pair.with_user(self.users["program_officer"]).write(
            {"destination": "+254755555555"}
        )
        payroll.with_user(self.users["program_officer"]).action_submit()
        payroll.invalidate_recordset()
        self.assertEqual(payroll.excluded_payment_ids, pair)
        self.assertEqual(set(pair.mapped("state")), {"cancelled"})
        self.assertEqual(payroll.payment_count, 3)

    def test_edited_amount_above_cap_refused_at_submission(self):
        payroll = self._generated()
        payment = self._payment_of(payroll, self.households[2])
        officer = payroll.with_user(self.users["program_officer"])
        # Cap 60 plus the 0.70 fee credit outside it: 60.70 is the most.
        payment.with_user(self.users["program_officer"]).write({"amount": 60.7})
        payment_over = self._payment_of(payroll, self.households[3])
        payment_over.with_user(self.users["program_officer"]).write({"amount": 5000})
        with self.assertRaisesRegex(UserError, "above the cycle's cap") as caught:
            officer.action_submit()
        self.assertIn(payment_over.reference, str(caught.exception))
        self.assertNotIn(payment.reference, str(caught.exception))
        self.assertEqual(payroll.approval_state, "draft")
        payment_over.with_user(self.users["program_officer"]).write({"amount": 50.7})
        officer.action_submit()
        self.assertEqual(payroll.approval_state, "submitted")

    def test_edited_amount_above_balance_refused_at_submission(self):
        # The program is approved, so turned balance-based behind its back.
        self.env.cr.execute(
            "UPDATE spp_program SET is_balance_based = TRUE WHERE id = %s",
            [self.program.id],
        )
        self.program.invalidate_recordset(["is_balance_based"])
        self.members.write({"entitled_total": 100.0})
        payroll = self._generated()
        member = self.members[2]
        payment = payroll.payment_ids.filtered(lambda p: p.membership_id == member)
        # Within the cap (60.70) and, for now, within the balance.
        payment.with_user(self.users["program_officer"]).write({"amount": 60.0})
        member.entitled_total = 55.0
        with self.assertRaisesRegex(UserError, "balance") as caught:
            payroll.with_user(self.users["program_officer"]).action_submit()
        self.assertIn(payment.reference, str(caught.exception))

    def test_editor_of_payments_cannot_approve(self):
        """A Finance Manager who edited a draft payment cannot approve the
        payroll; another one can."""
        payroll = self._generated()
        manager = self.users["finance_manager"]
        self._payment_of(payroll, self.households[2]).with_user(manager).write(
            {"destination": "+254788888888"}
        )
        payroll.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            payroll.with_user(manager).action_approve()
        self.assertEqual(payroll.approval_state, "submitted")
        payroll.with_user(self.manager2).action_approve()
        self.assertEqual(payroll.approval_state, "approved")

    def test_remover_of_payments_cannot_approve(self):
        payroll = self._generated()
        admin = self.users["admin"]
        payroll.payment_ids[0].with_user(admin).action_remove_from_payroll()
        payroll.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            payroll.with_user(admin).action_approve()

    def test_generator_cannot_approve(self):
        payroll = self._new_payroll()
        admin = self.users["admin"]
        payroll.with_user(admin).action_generate()
        payroll.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            payroll.with_user(admin).action_approve()
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(payroll.approval_state, "approved")

    def test_editor_of_cycle_components_cannot_approve_the_cycle(self):
        cycle = self._create_cycle(
            name="2026-12", date_start="2026-12-01", date_end="2026-12-31"
        )
        admin = self.users["admin"]
        self.env["spp.payment.rule"].with_user(admin).create(
            {"cycle_id": cycle.id, "name": "Top-up", "code": "top", "amount": 5.0}
        )
        cycle.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            cycle.with_user(admin).action_approve()
        cycle.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(cycle.approval_state, "approved")
