# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from .common import SppBaseCommon

TO_APPROVE = "spp_approval.mail_activity_type_to_approve"


class TestApprovalActivities(SppBaseCommon):
    """Checkers learn of a submission from a "To approve" activity, done by the
    decision; the "To approve" filter lists what each user may approve."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.maker = cls.users["program_officer"]
        cls.checker = cls.users["finance_manager"]
        cls.approver_group = cls.env.ref("spp_approval.group_approval_approver")

    def _new_program(self, maker=None):
        return (
            self.env["spp.program"]
            .with_user(maker or self.maker)
            .create({"name": "Cash Plus", "target_type": "household"})
        )

    def _pending(self, record):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.env.ref(TO_APPROVE).id),
            ]
        )

    def _to_approve(self, user):
        return (
            self.env["spp.program"]
            .with_user(user)
            .search([("spp_to_approve", "=", True)])
        )

    def test_submission_notifies_the_checkers_not_the_maker(self):
        program = self._new_program()
        self.assertFalse(self._pending(program))
        program.action_submit()
        users = self._pending(program).user_id
        self.assertIn(self.checker, users)
        self.assertIn(self.manager2, users)
        self.assertNotIn(self.maker, users)
        # Only users who may approve it, each once.
        self.assertFalse(users - self.approver_group.all_user_ids)
        self.assertEqual(len(self._pending(program)), len(users))
        # Who created a document is not asked to approve it, even if a checker.
        own = self._new_program(maker=self.users["admin"])
        own.with_user(self.maker).action_submit()
        self.assertNotIn(self.users["admin"], self._pending(own).user_id)
        self.assertIn(self.checker, self._pending(own).user_id)

    def test_approval_marks_the_activities_done(self):
        program = self._new_program()
        program.with_user(self.maker).action_submit()
        program.with_user(self.checker).action_approve(comment="ok")
        self.assertEqual(program.approval_state, "approved")
        self.assertFalse(self._pending(program))
        done = (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "=", "spp.program"),
                    ("res_id", "=", program.id),
                    ("active", "=", False),
                ]
            )
        )
        self.assertEqual(done.user_id, self.checker)

    def test_rejection_marks_them_done_and_a_new_submission_asks_again(self):
        program = self._new_program()
        program.with_user(self.maker).action_submit()
        program.with_user(self.checker).action_reject("missing budget line")
        self.assertFalse(self._pending(program))
        program.with_user(self.maker).action_submit()
        self.assertIn(self.checker, self._pending(program).user_id)

    def test_n_of_m_keeps_the_others_pending_until_decided(self):
        self.env["spp.approval.policy"].create(
            {"name": "Two checkers", "res_model": "spp.program", "approval_count": 2}
        )
        program = self._new_program()
        program.with_user(self.maker).action_submit()
        program.with_user(self.checker).action_approve()
        pending = self._pending(program).user_id
        self.assertNotIn(self.checker, pending)
        self.assertIn(self.manager2, pending)
        self.assertEqual(self._to_approve(self.checker), program.browse())
        self.assertEqual(self._to_approve(self.manager2), program)
        program.with_user(self.manager2).action_approve()
        self.assertEqual(program.approval_state, "approved")
        self.assertFalse(self._pending(program))

    def test_to_approve_filter(self):
        submitted = self._new_program()
        submitted.with_user(self.maker).action_submit()
        draft = self._new_program()
        admin = self.users["admin"]  # a checker who also makes programs
        own = self._new_program(maker=admin)
        own.with_user(self.maker).action_submit()
        # A checker sees what others submitted, not a draft nor what they made.
        mine = self._to_approve(admin)
        self.assertIn(submitted, mine)
        self.assertNotIn(draft, mine)
        self.assertNotIn(own, mine)
        self.assertIn(own, self._to_approve(self.manager2))
        # The submitter and a user outside the approving groups see neither.
        self.assertFalse(self._to_approve(self.maker) & (submitted | own))
        self.assertFalse(self._to_approve(self.users["viewer"]))
        # The negation, and the value shown on the record.
        others = (
            self.env["spp.program"]
            .with_user(self.checker)
            .search([("spp_to_approve", "=", False)])
        )
        self.assertIn(draft, others)
        self.assertNotIn(submitted, others)
        self.assertTrue(submitted.with_user(self.checker).spp_to_approve)
        self.assertFalse(submitted.with_user(self.maker).spp_to_approve)
        submitted.with_user(self.checker).action_approve()
        self.assertNotIn(submitted, self._to_approve(self.manager2))
