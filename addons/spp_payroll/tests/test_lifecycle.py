# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import importlib.util

from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, file_path

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SppPayrollCommon, perform_jobs


class TestPayrollLifecycle(SppPayrollCommon):
    """The payroll's status, draft to closed, follows the real actions, and
    each action is refused on the server in a status where it makes no sense."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls.users["program_officer"]
        cls.manager = cls.users["finance_manager"]
        cls.finance = cls.users["finance_officer"]

    def _status(self, payroll):
        payroll.invalidate_recordset(["status", "has_failures"])
        return payroll.status, payroll.has_failures

    def _executed(self):
        payroll = self._approved_payroll()
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_execute()
            perform_jobs(trap)
        return payroll

    def test_status_follows_the_actions(self):
        payroll = self._new_payroll()
        self.assertEqual(self._status(payroll), ("draft", False))
        payroll.action_generate()
        payroll.with_user(self.officer).action_submit()
        self.assertEqual(self._status(payroll), ("submitted", False))
        payroll.with_user(self.manager).action_reject("wrong cycle")
        self.assertEqual(self._status(payroll), ("draft", False))
        payroll.with_user(self.officer).action_submit()
        payroll.with_user(self.manager).action_approve()
        self.assertEqual(self._status(payroll), ("approved", False))
        self.assertEqual(payroll.approval_state, "approved")
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_execute()
            # Enqueued, not yet run: executing, and nothing else is possible.
            self.assertEqual(self._status(payroll), ("executing", False))
            with self.assertRaisesRegex(UserError, "already being executed"):
                payroll.with_user(self.finance).action_execute()
            with self.assertRaisesRegex(UserError, "cannot be closed"):
                payroll.with_user(self.finance).action_close()
            perform_jobs(trap)
        # The manual bank took every payment: executed, outcomes pending.
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"sent"})
        self.assertEqual(self._status(payroll), ("executed", False))
        # The approval state is untouched by the lifecycle.
        self.assertEqual(payroll.approval_state, "approved")
        failed, *paid = payroll.payment_ids
        failed._set_failed(reason="account closed")
        self.assertEqual(self._status(payroll), ("executed", True))
        # Not closed while payments still wait for the bank's answer.
        with self.assertRaisesRegex(UserError, "still wait for their FSP"):
            payroll.with_user(self.finance).action_close()
        payroll.payment_ids.browse([p.id for p in paid])._set_paid()
        self.assertEqual(self._status(payroll), ("executed", True))
        payroll.with_user(self.finance).action_close()
        self.assertEqual(self._status(payroll), ("closed", True))
        self.assertTrue(payroll.closed_date)
        # A closed payroll stays closed whatever its payments do next.
        paid[0]._set_reversed(reason="clawed back")
        self.assertEqual(self._status(payroll)[0], "closed")

    def test_a_retry_that_pays_clears_the_failures(self):
        payroll = self._executed()
        payment = payroll.payment_ids[0]
        payment._set_rejected(reason="invalid MSISDN")
        self.assertEqual(self._status(payroll), ("executed", True))
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_retry_failed()
            self.assertEqual(self._status(payroll), ("executing", True))
            perform_jobs(trap)
        self.assertEqual(payment.state, "sent")
        self.assertEqual(self._status(payroll), ("executed", False))

    def test_actions_refused_in_the_wrong_status(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        finance = payroll.with_user(self.finance)
        refused = {
            "action_execute": "Only an approved payroll",
            "action_open_execute_wizard": "Only an approved payroll",
            "action_retry_failed": "cannot be retried",
            "action_resolve_unknown": "cannot be queried",
            "action_close": "cannot be closed",
        }
        for method, message in refused.items():
            with self.subTest(status="draft", method=method):
                with self.assertRaisesRegex(UserError, message):
                    getattr(finance, method)()
        self._approve(payroll)
        for method in ("action_retry_failed", "action_close"):
            with self.subTest(status="approved", method=method):
                with self.assertRaisesRegex(UserError, refused[method]):
                    getattr(finance, method)()
        with self.assertRaisesRegex(UserError, "executed payrolls only"):
            payroll.with_user(self.officer).action_create_undelivered_payroll()
        with trap_jobs() as trap:
            finance.action_execute()
            perform_jobs(trap)
        payroll.payment_ids._set_paid()
        # Closing is for finance users only.
        with self.assertRaises(AccessError):
            payroll.with_user(self.officer).action_close()
        self.assertEqual(self._status(payroll)[0], "executed")
        finance.action_close()
        for method in ("action_execute", "action_retry_failed", "action_close"):
            with self.subTest(status="closed", method=method):
                with self.assertRaises(UserError):
                    getattr(finance, method)()

    def test_status_is_never_written_by_a_client(self):
        payroll = self._new_payroll()
        for vals in ({"status": "closed"}, {"has_failures": True}):
            with self.subTest(vals=vals):
                with self.assertRaisesRegex(UserError, "cannot be written"):
                    payroll.with_user(self.officer).write(vals)
                with self.assertRaisesRegex(UserError, "cannot be written"):
                    payroll.sudo().write(vals)
        created = (
            self.env["spp.payroll"]
            .with_user(self.officer)
            .create({"name": "Forged", "cycle_id": self.cycle.id, "status": "closed"})
        )
        self.assertEqual(created.status, "draft")

    def test_closing_cancels_payments_never_sent(self):
        payroll = self._executed()
        payroll.payment_ids._set_paid()
        # A payment left approved (held back, say) is cancelled, not left sendable.
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payment SET state = 'approved', current_attempt_id = NULL "
                "WHERE id = %s",
                payroll.payment_ids[0].id,
            )
        )
        payroll.payment_ids.invalidate_recordset()
        payroll.with_user(self.finance).action_close()
        self.assertEqual(payroll.payment_ids[0].state, "cancelled")
        self.assertEqual(self._status(payroll)[0], "closed")

    def test_cron_repairs_and_migration_derives(self):
        payroll = self._executed()
        draft = self._new_payroll()
        # A status left behind (a worker died before its last chunk's refresh).
        self.env.cr.execute(
            SQL("UPDATE spp_payroll SET status = 'executing' WHERE id = %s", payroll.id)
        )
        self.env["spp.payroll"]._cron_spp_refresh_status()
        self.assertEqual(self._status(payroll)[0], "executed")
        # A database from before the status: every payroll was created draft.
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payroll SET status = 'draft' WHERE id = %s; "
                "UPDATE spp_payroll SET closed_date = now() WHERE id = %s",
                payroll.id,
                draft.id,
            )
        )
        path = file_path("spp_payroll/migrations/19.0.1.2.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("spp_payroll_status", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "19.0.1.1.0")
        self.assertEqual(self._status(payroll)[0], "executed")
        self.assertEqual(self._status(draft)[0], "closed")
