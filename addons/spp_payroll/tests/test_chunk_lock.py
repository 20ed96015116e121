# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tools import SQL

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SppPayrollCommon


class TestChunkLock(SppPayrollCommon):
    """Two job runners (two Odoo processes, or one job run twice) competing
    for one chunk: the chunk's row lock and state let one of them process it;
    the other finds it taken, or done, and does nothing. Each step runs in a
    committed transaction of its own, as workers do."""

    def _attempts(self, env, ids):
        env.cr.execute(
            SQL(
                "SELECT COUNT(*), COUNT(DISTINCT idempotency_key) "
                "FROM spp_payment_attempt WHERE payment_id = ANY(%s)",
                ids,
            )
        )
        return env.cr.fetchone()

    def test_two_workers_never_process_one_chunk(self):
        world = self._committed_payroll_run(["0", "1", "2"])
        ids = world["payments"]
        # Worker A queues the chunk; before it commits, worker B gets the same
        # job (a second runner, a retry) and finds the chunk taken.
        with self._worker_env() as env_a, trap_jobs() as trap_a:
            run_a = env_a["spp.payroll.run"].browse(world["run"])
            self.assertIn("3 payments queued", run_a._job_send_chunk(ids, 0))
            with self._worker_env() as env_b, trap_jobs() as trap_b:
                run_b = env_b["spp.payroll.run"].browse(world["run"])
                self.assertIn("taken", run_b._job_send_chunk(ids, 0))
                self.assertEqual(trap_b.enqueued_jobs, [])
                self.assertEqual(self._attempts(env_b, ids), (0, 0))
            (delivery,) = trap_a.enqueued_jobs
        # Once A committed, the same job run again queues nothing.
        with self._worker_env() as env_c, trap_jobs() as trap_c:
            run_c = env_c["spp.payroll.run"].browse(world["run"])
            self.assertIn("already queued", run_c._job_send_chunk(ids, 0))
            self.assertEqual(trap_c.enqueued_jobs, [])
            self.assertEqual(self._attempts(env_c, ids), (3, 3))
        # The delivery too: one worker delivers, the other finds it taken.
        with self._worker_env() as env_a:
            run_a = env_a["spp.payroll.run"].browse(world["run"])
            self.assertIn("3 payments sent", run_a._job_deliver_chunk(*delivery.args))
            with self._worker_env() as env_b:
                run_b = env_b["spp.payroll.run"].browse(world["run"])
                self.assertIn("taken", run_b._job_deliver_chunk(*delivery.args))
                states = env_b["spp.payment"].browse(ids).mapped("state")
                self.assertEqual(set(states), {"queued"})
        with self._worker_env() as env:
            run = env["spp.payroll.run"].browse(world["run"])
            self.assertIn("already delivered", run._job_deliver_chunk(*delivery.args))
            self.assertEqual(
                set(env["spp.payment"].browse(ids).mapped("state")), {"sent"}
            )
            self.assertEqual(self._attempts(env, ids), (3, 3))
            # Each payment was sent once: one event into sent.
            env.cr.execute(
                SQL(
                    "SELECT COUNT(*) FROM spp_payment_event "
                    "WHERE payment_id = ANY(%s) AND new_state = 'sent'",
                    ids,
                )
            )
            self.assertEqual(env.cr.fetchone()[0], 3)
            # Counted once: the run is done with its one chunk.
            self.assertEqual((run.state, run.chunks_done), ("done", 1))
            self.assertTrue(run.chunk_ids.queued_by)
            self.assertEqual(run.chunk_ids.state, "done")

    def test_chunk_done_twice_is_counted_once(self):
        """A run of two chunks is done when both are, whichever order and
        however often their jobs run."""
        self.fsp.batch_size = 3
        payroll = self._approved_payroll()
        with trap_jobs() as trap:
            run = payroll.with_user(self.users["finance_officer"]).action_execute()
            first, second = trap.enqueued_jobs
            trap.enqueued_jobs = [first]
            trap.perform_enqueued_jobs()
            (delivery,) = trap.enqueued_jobs
            delivery.perform()
            delivery.perform()  # run again: nothing more is counted
            self.assertEqual((run.state, run.chunks_done), ("running", 1))
            trap.enqueued_jobs = [second]
            while trap.enqueued_jobs:
                trap.perform_enqueued_jobs()
        self.assertEqual((run.state, run.chunks_done, run.chunk_count), ("done", 2, 2))
        self.assertEqual(payroll.status, "executed")
