# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SppPayrollCommon, perform_jobs


class TestExecutionFunding(SppPayrollCommon):
    """No FSP balance is taken as sufficient without a figure: a pending or
    unknown one needs a Finance Manager's confirmation, recorded on the run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = cls.users["finance_officer"]
        cls.manager = cls.users["finance_manager"]

    def _forget_balance(self):
        self.fsp.sudo().write({"balance_state": "unknown"})

    def _wizard(self, payroll, user):
        action = payroll.with_user(user).action_open_execute_wizard()
        return self.env[action["res_model"]].with_user(user).browse(action["res_id"])

    def test_unknown_balance_needs_a_manager_confirmation_recorded_on_the_run(self):
        self._forget_balance()
        payroll = self._approved_payroll()
        (line,) = payroll.action_check_balances()
        self.assertEqual(line["balance_state"], "unknown")
        self.assertIsNone(line["balance"])
        self.assertFalse(line["sufficient"])
        self.assertFalse(line["short"])
        self.assertEqual(line["to_pay"], payroll.total_amount)
        # The server refuses, whatever the client shows.
        with self.assertRaisesRegex(UserError, "Finance Manager must confirm"):
            payroll.with_user(self.finance).action_execute()
        wizard = self._wizard(payroll, self.finance)
        self.assertEqual(wizard.line_ids.balance_state, "unknown")
        self.assertFalse(wizard.line_ids.sufficient)
        self.assertFalse(wizard.can_execute)
        self.assertTrue(wizard.needs_confirmation)
        self.assertFalse(wizard.can_confirm)
        # A Finance Officer who is no manager cannot confirm, by any path.
        wizard.funding_note = "I think it is fine"
        with self.assertRaises(AccessError):
            wizard.action_confirm_funding()
        with self.assertRaises(AccessError):
            payroll.with_user(self.finance).action_confirm_funding(
                self.fsp.ids, "I think it is fine"
            )
        with self.assertRaises(AccessError):
            self.env["spp.payroll.funding.confirmation"].with_user(self.finance).create(
                {
                    "payroll_id": payroll.id,
                    "fsp_id": self.fsp.id,
                    "amount_to_pay": payroll.total_amount,
                    "note": "forged",
                }
            )
        self.assertFalse(self.env["spp.payroll.funding.confirmation"].search([]))
        # The manager confirms, with a note.
        manager_wizard = self._wizard(payroll, self.manager)
        self.assertTrue(manager_wizard.can_confirm)
        with self.assertRaisesRegex(UserError, "how the funding was confirmed"):
            manager_wizard.action_confirm_funding()
        manager_wizard.funding_note = "Bank letter 2026-07-01: KES 5m deposited"
        manager_wizard.action_confirm_funding()
        self.assertTrue(manager_wizard.line_ids.confirmed)
        self.assertTrue(manager_wizard.can_execute)
        # The officer then executes; the run records the confirmation.
        with trap_jobs():
            run = payroll.with_user(self.finance).action_execute()
        confirmation = run.funding_confirmation_ids
        self.assertEqual(len(confirmation), 1)
        self.assertEqual(confirmation.user_id, self.manager)
        self.assertEqual(confirmation.fsp_id, self.fsp)
        self.assertEqual(confirmation.amount_to_pay, payroll.total_amount)
        self.assertEqual(confirmation.balance_state, "unknown")
        self.assertIn("Bank letter", confirmation.note)
        self.assertTrue(confirmation.confirmed_date)
        self.assertTrue(run.funding_confirmed)
        with self.assertRaises(AccessError):
            confirmation.with_user(self.manager).write({"note": "changed"})

    def test_a_confirmation_covers_its_amount_only(self):
        self._forget_balance()
        payroll = self._approved_payroll()
        # A confirmation of another figure (e.g. before the payroll changed)
        # does not cover this one.
        self.env["spp.payroll.funding.confirmation"].with_user(self.manager).create(
            {
                "payroll_id": payroll.id,
                "fsp_id": self.fsp.id,
                "amount_to_pay": payroll.total_amount - 1,
                "note": "Treasury confirmed by phone",
            }
        )
        self.assertFalse(payroll.action_check_balances()[0]["confirmation_id"])
        with self.assertRaisesRegex(UserError, "Finance Manager must confirm"):
            payroll.with_user(self.finance).action_execute()
        payroll.with_user(self.manager).action_confirm_funding(
            self.fsp.ids, "Treasury confirmed by phone"
        )
        self.assertTrue(payroll.action_check_balances()[0]["confirmation_id"])

    def test_short_known_balance_is_refused_even_with_a_manager(self):
        self.fsp._spp_record_balance(10.0, fields.Datetime.now(), "bank letter")
        payroll = self._approved_payroll()
        (line,) = payroll.action_check_balances()
        self.assertTrue(line["short"])
        # Nothing to confirm: a figure decides.
        self.assertFalse(
            payroll.with_user(self.manager).action_confirm_funding(
                self.fsp.ids, "pay anyway"
            )
        )
        with self.assertRaisesRegex(UserError, r"has 10\.0 as of .*needs"):
            payroll.with_user(self.manager).action_execute()
        self.assertFalse(payroll.run_ids)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})

    def test_stale_balance_counts_as_unknown(self):
        self.fsp.balance_max_age_hours = 6
        self.fsp.sudo().write(
            {"balance_date": fields.Datetime.now() - timedelta(hours=7)}
        )
        payroll = self._approved_payroll()
        (line,) = payroll.action_check_balances()
        self.assertEqual(line["balance_state"], "unknown")
        self.assertIn("older than 6 hours", line["balance_reason"])
        self.assertIsNone(self.fsp._spp_get_balance())
        with self.assertRaisesRegex(UserError, "older than 6 hours"):
            payroll.with_user(self.finance).action_execute()
        self.fsp.balance_max_age_hours = 8
        self.assertTrue(payroll.action_check_balances()[0]["sufficient"])

    def test_known_fresh_balance_executes_without_confirmation(self):
        payroll = self._approved_payroll()
        (line,) = payroll.action_check_balances()
        self.assertEqual(line["balance_state"], "known")
        self.assertTrue(line["sufficient"])
        self.assertEqual(line["balance_source"], "test funding")
        with trap_jobs():
            run = payroll.with_user(self.finance).action_execute()
        self.assertFalse(run.funding_confirmation_ids)

    def test_opening_the_wizard_asks_providers_with_a_balance_api(self):
        self._forget_balance()
        asked = []

        def request(fsp):
            asked.append(fsp.id)
            fsp._spp_mark_balance_pending()
            return True

        self.patch(type(self.env["spp.fsp"]), "_spp_request_balance", request)
        payroll = self._approved_payroll()
        wizard = self._wizard(payroll, self.finance)
        self.assertEqual(asked, self.fsp.ids)
        self.assertEqual(wizard.line_ids.balance_state, "pending")
        self.assertTrue(wizard.line_ids.balance_requested)
        self.assertFalse(wizard.can_execute)
        # Pending: not asked again on reopening, but Refresh asks again and
        # shows the figure that arrived meanwhile.
        self._wizard(payroll, self.finance)
        self.assertEqual(len(asked), 1)
        self.fsp._spp_record_balance(
            payroll.total_amount + 1, fields.Datetime.now(), "API"
        )
        wizard.action_refresh()
        self.assertEqual(wizard.line_ids.balance_state, "known")
        self.assertTrue(wizard.line_ids.sufficient)
        self.assertTrue(wizard.can_execute)

    def _run(self, payroll, method):
        with trap_jobs() as trap:
            getattr(payroll.with_user(self.finance), method)()
            perform_jobs(trap)

    def _executed_with_failures(self):
        """An executed payroll two of whose payments failed; one of them has
        no retry left. Returns (payroll, the failed payment to retry, the
        exhausted one)."""
        self.fsp.max_retries = 1
        payroll = self._approved_payroll()
        exhausted, retried = payroll.payment_ids.filtered("fsp_id").sorted("id")[:2]
        self._run(payroll, "action_execute")
        exhausted.sudo()._set_failed(reason="account closed")
        self._run(payroll, "action_retry_failed")  # its one retry, funded
        (retried | exhausted).sudo()._set_failed(reason="account closed")
        return payroll, retried, exhausted

    def test_retry_applies_the_balance_rule(self):
        payroll, retried, exhausted = self._executed_with_failures()
        # What the retry sends: the payment with a retry left, not the other.
        (line,) = payroll.action_check_balances("retry")
        self.assertEqual(line["to_pay"], retried.amount)
        # A known balance short of it: refused, whoever asks.
        self.fsp._spp_record_balance(
            retried.amount - 0.01, fields.Datetime.now(), "bank letter"
        )
        for user in (self.finance, self.manager):
            with self.assertRaisesRegex(
                UserError, rf"Insufficient FSP balance.*needs {retried.amount}"
            ):
                payroll.with_user(user).action_retry_failed()
        self.assertEqual(retried.state, "failed")
        self.assertEqual(len(payroll.run_ids), 2)
        # Not known: a Finance Manager's confirmation of that amount.
        self._forget_balance()
        with self.assertRaisesRegex(UserError, "Finance Manager must confirm"):
            payroll.with_user(self.finance).action_retry_failed()
        action = payroll.with_user(self.finance).action_open_retry_wizard()
        wizard = self.env[action["res_model"]].with_user(self.finance)
        wizard = wizard.browse(action["res_id"])
        self.assertEqual(wizard.kind, "retry")
        self.assertEqual(wizard.line_ids.to_pay, retried.amount)
        self.assertTrue(wizard.needs_confirmation)
        with self.assertRaises(AccessError):
            payroll.with_user(self.finance).action_confirm_funding(
                self.fsp.ids, "fine", "retry"
            )
        manager_wizard = wizard.with_user(self.manager).browse(wizard.id)
        manager_wizard.funding_note = "Bank confirmed the top-up by phone"
        manager_wizard.action_confirm_funding()
        self.assertTrue(manager_wizard.line_ids.confirmed)
        # The officer retries from the wizard; the run records the confirmation.
        with trap_jobs() as trap:
            wizard.action_confirm()
            perform_jobs(trap)
        (retried | exhausted).invalidate_recordset()
        run = payroll.run_ids.sorted("id")[-1]
        self.assertEqual(run.kind, "retry")
        self.assertEqual(run.funding_confirmation_ids.amount_to_pay, retried.amount)
        self.assertEqual(run.funding_confirmation_ids.user_id, self.manager)
        self.assertEqual(retried.state, "sent")
        self.assertEqual(len(retried.attempt_ids), 2)
        self.assertEqual(exhausted.state, "failed")

    def test_opening_the_wizard_sums_the_payments_once(self):
        self._forget_balance()
        self.patch(
            type(self.env["spp.fsp"]),
            "_spp_request_balance",
            lambda fsp: fsp._spp_mark_balance_pending() or True,
        )
        payroll = self._approved_payroll()
        statements = []
        execute = type(self.env.cr).execute

        def counting(cr, query, *args, **kwargs):
            code = str(getattr(query, "code", query))
            if re.search(
                r"SUM\(COALESCE\((p\.)?fsp_amount, (p\.)?amount\)\)\s+FROM", code
            ):
                statements.append(code)
            return execute(cr, query, *args, **kwargs)

        self.patch(type(self.env.cr), "execute", counting)
        wizard = self._wizard(payroll, self.finance)
        self.assertEqual(wizard.line_ids.balance_state, "pending")
        self.assertEqual(wizard.line_ids.to_pay, payroll.total_amount)
        self.assertEqual(len(statements), 1)
