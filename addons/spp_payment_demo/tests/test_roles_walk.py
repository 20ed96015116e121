# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Issue #13's walk in Chromium, as the demo's users with their own logins: the
officer creates and submits a cycle, the manager approves it from the activity,
the officer generates and submits a payroll, the manager approves it from the
activity, the finance officer executes it, the manager reads the dashboard and the
payment status overview and exports the payroll's audit Excel (read back: every
payment and attempt). Screenshots of the dashboard, the executed payroll form
and the overview are kept as artefacts."""

import base64
import io
from unittest.mock import patch

import openpyxl

from odoo.tests import HttpCase, tagged

from odoo.addons.spp_payment_base.tests.browser import start_tour_with_screenshot
from odoo.addons.spp_payroll.tests.common import fund_fsps


@tagged("post_install", "-at_install")
class TestRolesWalk(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["spp.demo.generator"]._generate(households=12, seed=0.2)
        # No simulated FSP answers here: the demo FSP is a manual one.
        cls.env["spp.demo.fsp"]._configure("http://127.0.0.1:9")
        # The demo's FSP accounts are funded: their balances known (the
        # balance checks have their own tests in spp_payroll).
        fund_fsps(cls.env["spp.fsp"].search([]))

    def _tour(self, tour, login):
        self.start_tour("/odoo", tour, login=login)

    def test_cycle_to_execution_across_roles(self):
        Cycle = self.env["spp.payment.cycle"]
        self._tour("spp_walk_officer_cycle", "officer")
        cycle = Cycle.search([("name", "=", "Walk cycle")])
        self.assertEqual(cycle.approval_state, "submitted")
        self.assertEqual(cycle.submitted_by_id.login, "officer")
        self._tour("spp_walk_manager_cycle", "manager")
        cycle.invalidate_recordset()
        self.assertEqual(cycle.approval_state, "approved")

        self._tour("spp_walk_officer_payroll", "officer")
        payroll = self.env["spp.payroll"].search([("name", "=", "Walk payroll")])
        self.assertEqual(payroll.status, "submitted")
        self.assertTrue(payroll.payment_ids)
        self._tour("spp_walk_manager_payroll", "manager")
        payroll.invalidate_recordset()
        self.assertEqual(payroll.status, "approved")
        self.assertEqual(payroll.approval_review_ids.user_id.login, "manager")

        # The browser's request runs the run's jobs at once, as a worker would.
        with patch(
            "odoo.addons.queue_job.delay.must_run_without_delay", return_value=True
        ):
            start_tour_with_screenshot(
                self, "/odoo", "spp_walk_finance_execute", "finance", "walk_payroll"
            )
        payroll.invalidate_recordset()
        self.assertEqual(payroll.status, "executed")

        start_tour_with_screenshot(
            self, "/odoo", "spp_walk_manager_dashboard", "manager", "walk_dashboard"
        )
        start_tour_with_screenshot(
            self, "/odoo", "spp_walk_manager_overview", "manager", "walk_overview"
        )

        # The manager's click on "Audit Excel" (spp_payment_audit's own tour
        # clicks it in Chromium); here its file is read back whole.
        manager = self.env["res.users"].search([("login", "=", "manager")])
        payroll.with_user(manager).action_spp_audit_export()
        export = self.env["spp.payment.audit.export"].search(
            [("payroll_id", "=", payroll.id)]
        )
        self.assertEqual(export.state, "done")
        self.assertEqual(export.create_uid.login, "manager")
        book = openpyxl.load_workbook(
            io.BytesIO(base64.b64decode(export.attachment_id.datas)), read_only=True
        )
        references = {
            row[0] for row in book["Payments"].iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(references, set(payroll.payment_ids.mapped("reference")))
        attempts = list(book["Attempts"].iter_rows(min_row=2, values_only=True))
        self.assertEqual(len(attempts), len(payroll.payment_ids.attempt_ids))
