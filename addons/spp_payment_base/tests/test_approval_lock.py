# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

from odoo.exceptions import LockError, UserError

from .common import SppBaseCommon


class TestApprovalLock(SppBaseCommon):
    """Reviews take Odoo's row lock (lock_for_update, SKIP LOCKED): a second
    reviewer of a document under review is told to retry at once instead of
    waiting on the first one's transaction and deciding on a stale state."""

    def setUp(self):
        super().setUp()
        self.program = (
            self.env["spp.program"]
            .with_user(self.users["program_officer"])
            .create({"name": "Under review", "target_type": "household"})
        )
        self.program.action_submit()
        self.model = self.registry["spp.program"]

    def test_every_decision_locks_the_document(self):
        checker = self.program.with_user(self.users["finance_manager"])
        with patch.object(
            self.model, "lock_for_update", autospec=True, side_effect=lambda *a: None
        ) as lock:
            checker.action_open_reject_wizard()
            self.assertEqual(lock.call_count, 0)
            checker.action_approve()
            self.assertEqual(lock.call_count, 1)
        self.assertEqual(self.program.approval_state, "approved")

    def test_busy_document_is_refused_with_a_retry(self):
        checker = self.program.with_user(self.users["finance_manager"])
        busy = LockError("Cannot grab a lock on records")
        with patch.object(self.model, "lock_for_update", side_effect=busy):
            with self.assertRaisesRegex(UserError, "being reviewed by someone"):
                checker.action_approve()
            with self.assertRaisesRegex(UserError, "being reviewed by someone"):
                checker.action_reject("wrong bank")
        self.assertEqual(self.program.approval_state, "submitted")
        self.assertFalse(self.program.approval_review_ids)
