# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from contextlib import closing

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import UserError

from .common import SppBaseCommon


class TestApprovalLock(SppBaseCommon):
    """Two reviewers of one document: the second is told to retry at once
    instead of waiting on the first one's transaction."""

    def test_review_of_a_document_under_review_is_refused(self):
        dbname = self.env.cr.dbname
        # Another transaction sees only committed rows: the document is
        # committed by one, and deleted by it at the end.
        with closing(sql_db.db_connect(dbname).cursor()) as other:
            env = api.Environment(other, SUPERUSER_ID, {"tracking_disable": True})
            program = env["spp.program"].create(
                {"name": "Under review", "target_type": "household"}
            )
            program.action_submit()
            other.commit()
            try:
                other.execute(
                    "SELECT id FROM spp_program WHERE id = %s FOR UPDATE", [program.id]
                )
                # The former SELECT ... FOR UPDATE would wait: fail instead.
                self.env.cr.execute("SET LOCAL lock_timeout = '2s'")
                mine = self.env["spp.program"].browse(program.id)
                checker = self.users["finance_manager"]
                with self.assertRaisesRegex(UserError, "being reviewed by someone"):
                    mine.with_user(checker).action_approve()
                self.assertEqual(mine.approval_state, "submitted")
                self.assertFalse(mine.approval_review_ids)
            finally:
                other.rollback()
                other.execute("DELETE FROM spp_program WHERE id = %s", [program.id])
                other.commit()
