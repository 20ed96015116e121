# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError

from .common import SppBaseCommon


class TestApproval(SppBaseCommon):
    """Segregation of duties, exercised as an RPC client would: with_user()."""

    def _new_program(self, maker="program_officer", **vals):
        return (
            self.env["spp.program"]
            .with_user(self.users[maker])
            .create({"name": "Cash Plus", "target_type": "household", **vals})
        )

    def test_creator_and_submitter_cannot_approve(self):
        program = self._new_program()
        program.action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            program.with_user(self.users["program_officer"]).action_approve()
        # A checker who created a document cannot approve it either, even when
        # someone else submitted it.
        own = self._new_program(maker="admin")
        own.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            own.with_user(self.users["admin"]).action_approve()
        self.assertEqual(own.approval_state, "submitted")
        own.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(own.approval_state, "approved")

    def test_checker_approves(self):
        program = self._new_program()
        program.action_submit()
        program.with_user(self.users["finance_manager"]).action_approve("looks right")
        self.assertEqual(program.approval_state, "approved")
        review = program.approval_review_ids
        self.assertEqual(review.user_id, self.users["finance_manager"])
        self.assertEqual(review.decision, "approve")
        self.assertIn("looks right", program.message_ids[0].body)

    def test_non_checker_cannot_approve(self):
        program = self._new_program()
        program.action_submit()
        for role in ("viewer", "finance_officer"):
            with self.assertRaises(AccessError):
                program.with_user(self.users[role]).action_approve()
        self.assertEqual(program.approval_state, "submitted")
        self.assertFalse(program.approval_review_ids)

    def test_state_cannot_be_forced_by_rpc(self):
        program = self._new_program()
        as_officer = program.with_user(self.users["program_officer"])
        with self.assertRaisesRegex(UserError, "Approval fields"):
            as_officer.write({"approval_state": "approved"})
        with self.assertRaisesRegex(UserError, "starts as a draft"):
            self.env["spp.program"].with_user(self.users["admin"]).create(
                {"name": "Forged", "approval_state": "approved"}
            )
        forged = (
            self.env["spp.program"]
            .with_user(self.users["admin"])
            .with_context(default_approval_state="approved")
            .create({"name": "Forged by context"})
        )
        self.assertEqual(forged.approval_state, "draft")

    def test_double_approval_refused_and_n_of_m(self):
        self.env["spp.approval.policy"].create(
            {"name": "Two checkers", "res_model": "spp.program", "approval_count": 2}
        )
        program = self._new_program()
        program.action_submit()
        self.assertEqual(program.approvals_required, 2)
        program.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(program.approval_state, "submitted")
        with self.assertRaisesRegex(UserError, "already approved"):
            program.with_user(self.users["finance_manager"]).action_approve()
        program.with_user(self.manager2).action_approve()
        self.assertEqual(program.approval_state, "approved")
        self.assertEqual(len(program.approval_review_ids), 2)

    def test_thresholds_add_tiers(self):
        admin_group = self.env.ref("spp_payment_base.group_spp_admin")
        self.env["spp.approval.policy"].create(
            {
                "name": "Tiered",
                "res_model": "spp.program",
                "tier_ids": [
                    (0, 0, {"threshold": 1000.0}),
                    (0, 0, {"threshold": 5000.0, "group_id": admin_group.id}),
                ],
            }
        )
        self.patch(
            type(self.env["spp.program"]),
            "_spp_approval_amount",
            lambda self: self.env.context.get("test_amount", 0.0),
        )
        program = self._new_program()
        cases = {500.0: 1, 1000.0: 2, 4999.99: 2, 5000.0: 3}
        for amount, expected in cases.items():
            required = program.with_context(test_amount=amount)._spp_required_groups()
            self.assertEqual(len(required), expected, amount)
        # Above the top tier, two managers are not enough: the last approval must
        # come from an administrator.
        big = self._new_program(name="Big").with_context(test_amount=9000.0)
        big.action_submit()
        big.with_user(self.users["finance_manager"]).action_approve()
        big.with_user(self.manager2).action_approve()
        self.assertEqual(big.approval_state, "submitted")
        manager3 = self.env["res.users"].create(
            {
                "name": "Manager 3",
                "login": "spp_manager3",
                "group_ids": [
                    (4, self.env.ref("spp_payment_base.group_spp_finance_manager").id)
                ],
            }
        )
        with self.assertRaisesRegex(AccessError, "Payments Administrator"):
            big.with_user(manager3).action_approve()
        big.with_user(self.users["admin"]).action_approve()
        self.assertEqual(big.approval_state, "approved")

    def test_rejection_needs_reason_and_returns_to_draft(self):
        program = self._new_program()
        program.action_submit()
        manager = program.with_user(self.users["finance_manager"])
        for blank in (None, "", "   "):
            with self.assertRaisesRegex(UserError, "needs a reason"):
                manager.action_reject(blank)
        self.assertEqual(program.approval_state, "submitted")
        manager.action_reject("Wrong currency")
        self.assertEqual(program.approval_state, "draft")
        self.assertEqual(program.rejection_reason, "Wrong currency")
        # Back in draft it can be corrected and submitted again; the earlier
        # review belongs to the earlier submission.
        program.with_user(self.users["program_officer"]).write({"name": "Fixed"})
        program.action_submit()
        self.assertEqual(program.submission_no, 2)
        self.assertEqual(program.approvals_given, 0)
        manager.action_approve()
        self.assertEqual(program.approval_state, "approved")

    def test_reject_wizard(self):
        program = self._new_program()
        program.action_submit()
        action = program.action_open_reject_wizard()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.users["finance_manager"])
            .with_context(**action["context"])
            .create({"reason": "Missing code"})
        )
        wizard.action_confirm()
        self.assertEqual(program.approval_state, "draft")

    def test_read_only_after_submission(self):
        program = self._new_program()
        program.action_submit()
        officer = program.with_user(self.users["program_officer"])
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            officer.write({"name": "Changed"})
        officer.write({"description": "whitelisted note"})
        with self.assertRaisesRegex(UserError, "Only draft"):
            program.with_user(self.users["admin"]).unlink()
        program.with_user(self.users["finance_manager"]).action_approve()
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            program.with_user(self.users["admin"]).write({"currency_id": False})
        self.assertEqual(program.name, "Cash Plus")

    def test_only_submitted_documents_are_reviewed(self):
        program = self._new_program()
        with self.assertRaisesRegex(UserError, "cannot be approved"):
            program.with_user(self.users["finance_manager"]).action_approve()
        program.action_submit()
        with self.assertRaisesRegex(UserError, "cannot be submitted"):
            program.action_submit()
