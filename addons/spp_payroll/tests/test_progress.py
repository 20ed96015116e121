# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SppPayrollCommon, perform_jobs


class TestRunProgress(SppPayrollCommon):
    """A run tells the browsers of its readers how it moves on, through the
    bus: at its start, then at most every few seconds and at its end, not once
    per chunk or payment; the form reads its progress and counts by outcome."""

    def _progress_messages(self, payroll):
        self.env.cr.precommit.run()  # the bus rows are written at commit
        messages = self.env["bus.bus"].sudo().search([], order="id")
        return [
            message
            for message in messages
            if json.loads(message.message)
            == {
                "type": "spp.progress",
                "payload": {"model": "spp.payroll", "ids": [payroll.id]},
            }
        ]

    def test_progress_is_told_throttled_and_read_by_the_form(self):
        self.fsp.batch_size = 1
        payroll = self._approved_payroll()
        with trap_jobs() as trap:
            payroll.with_user(self.users["finance_officer"]).action_execute()
            perform_jobs(trap)
        run = payroll.run_ids
        self.assertEqual((run.chunk_count, run.chunks_done), (5, 5))
        messages = self._progress_messages(payroll)
        # The start, the first chunk and the last (in one transaction here:
        # within the throttle's window), not five chunks.
        self.assertEqual(len(messages), 3)
        viewer = self.env.ref("spp_payment_base.group_spp_viewer")
        self.assertEqual(json.loads(messages[0].channel)[1:], ["res.groups", viewer.id])
        payroll.invalidate_recordset()
        info = payroll.with_user(self.users["finance_officer"]).progress_info
        self.assertEqual(info["run"]["percent"], 100)
        self.assertEqual(info["run"]["chunks_done"], 5)
        counts = {outcome["key"]: outcome["count"] for outcome in info["outcomes"]}
        self.assertEqual(counts["to_send"], 0)
        self.assertEqual(counts["sent"], 5)
