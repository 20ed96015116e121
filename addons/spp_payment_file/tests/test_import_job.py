# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Large ISO 20022 imports run as a queue job with progress, all or nothing;
small ones still run in the request."""

from unittest.mock import patch

from odoo.addons.queue_job.tests.common import trap_jobs

from ..models import spp_payment_file_import_job as import_job
from .test_statement_import import SppStatementCommon

Job = import_job.SppPaymentFileImportJob


class TestImportJob(SppStatementCommon):
    def _content(self):
        a, b = self.pay[0], self.pay[1]
        return self._own(
            [
                (a.reference, a.amount, "DBIT", "BOOK", None),
                (b.reference, b.amount, "CRDT", "BOOK", "AC04"),
            ]
        )

    def _jobs(self):
        return self.env["spp.payment.file.import.job"].search([])

    def _as_job(self, content):
        """Import ``content`` with a threshold it exceeds: (job, trap)."""
        wizard = self._statement_wizard(content)
        # (Not by the system parameter: its cache outlives the test's rollback.)
        self.patch(Job, "_spp_threshold", lambda jobs: 100)
        with trap_jobs() as trap:
            action = wizard.action_import()
            self.assertEqual(action["res_model"], "spp.payment.file.import.job")
            job = self.env[action["res_model"]].browse(action["res_id"])
            trap.assert_jobs_count(1, only=job._job_import)
            # Nothing imported in the request.
            self.assertEqual(job.state, "queued")
            self.assertFalse(self._statements())
            self.assertEqual(self.fsp.balance_state, "unknown")
            return job, trap

    def test_small_statement_imports_in_the_request(self):
        self.assertLess(len(self._content()), import_job.DEFAULT_THRESHOLD)
        self.assertEqual(
            self.env["spp.payment.file.import.job"]._spp_threshold(),
            import_job.DEFAULT_THRESHOLD,
        )
        with trap_jobs() as trap:
            _wizard, action = self._import_statement(self._content())
            trap.assert_jobs_count(
                0, only=self.env["spp.payment.file.import.job"]._job_import
            )
        self.assertEqual(action["res_model"], "spp.reconciliation")
        self.assertFalse(self._jobs())
        self.assertEqual(len(self._statements()), 1)

    def test_large_statement_imports_in_a_job_with_progress(self):
        seen = []
        write_progress = Job._spp_write_progress

        def spy(job, values):
            seen.append(values.get("progress"))
            return write_progress(job, values)

        job, trap = self._as_job(self._content())
        self.assertEqual((job.kind, job.user_id), ("camt053", self.finance))
        self.assertEqual(job.attachment_id.raw, self._content().encode())
        with (
            patch.object(Job, "_spp_write_progress", spy),
            self.enter_registry_test_mode(),
        ):
            trap.perform_enqueued_jobs()
        job.invalidate_recordset()
        self.assertEqual((job.state, job.progress), ("done", 100.0))
        progress = [value for value in seen if value is not None]
        self.assertGreaterEqual(len(progress), 4)
        self.assertEqual(progress, sorted(progress))
        # The same import as in the request: the statement, the balance, the batch.
        statement = self._statements()
        self.assertEqual(len(statement), 1)
        self.assertEqual(self.fsp.balance_amount, 900.0)
        batch = statement.reconciliation_ids
        self.assertEqual(batch.line_count, 2)
        self.assertEqual(batch.create_uid, self.finance)
        self.assertEqual(
            job.action_open_result(),
            {
                "type": "ir.actions.act_window",
                "res_model": "spp.reconciliation",
                "res_id": batch.id,
                "view_mode": "form",
                "target": "current",
            },
        )

    def test_failed_job_changes_nothing(self):
        job, trap = self._as_job(self._content())

        def broken(batches, *args, **kwargs):
            raise OSError("disk full")

        with (
            patch.object(
                type(self.env["spp.reconciliation"]), "_spp_create_batch", broken
            ),
            self.enter_registry_test_mode(),
            self.assertRaisesRegex(OSError, "disk full"),
        ):
            trap.perform_enqueued_jobs()
        job.invalidate_recordset()
        self.assertEqual(job.state, "failed")
        self.assertIn("disk full", job.error)
        # Neither the statement nor the FSP's balance it carries.
        self.assertFalse(self._statements())
        self.fsp.invalidate_recordset()
        self.assertEqual(self.fsp.balance_state, "unknown")
        self.assertFalse(
            self.env["spp.reconciliation"].search(
                [("fsp_id", "=", self.fsp.id), ("statement_id", "!=", False)]
            )
        )
