# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A Finance Manager exports the audit Excel of a payroll in Chromium (setup/run
and setup/test install it; a skipped tour counts as failed)."""

import base64
import threading
import time
from pathlib import Path
from unittest.mock import patch

from odoo import api
from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser, save_test_file
from odoo.tools import config

from ..models.spp_payment_audit_export import THRESHOLD_PARAM
from .common import SppAuditCommon


@tagged("post_install", "-at_install")
class TestAuditBrowser(SppAuditCommon, HttpCase):
    stop_worker = False

    def _run_the_export_once_queued(self):
        """As the job runner would, in the background: the export the tour
        queued is run a moment after the tour saw it queued."""
        if not self.asked.wait(120) or self.stop_worker:
            return
        threading.current_thread().testing = True
        manager = self.users["finance_manager"]
        for _ in range(240):
            if self.stop_worker:
                return
            time.sleep(0.5)
            with self.registry.cursor() as cr:
                env = api.Environment(cr, manager.id, {})
                export = env["spp.payment.audit.export"].search(
                    [("payroll_id", "=", self.payroll.id), ("state", "=", "queued")]
                )
                if not export:
                    continue
            time.sleep(2)
            with self.registry.cursor() as cr:
                env = api.Environment(cr, manager.id, {})
                export.with_env(env)._job_export()
            return

    def test_manager_exports_the_audit_excel_of_a_payroll(self):
        self.env["ir.config_parameter"].set_param(THRESHOLD_PARAM, "1")
        # Odoo keeps screenshots of failed tours only: this keeps the end state.
        wait_code_ok = ChromeBrowser._wait_code_ok

        def wait_then_capture(browser, *args, **kwargs):
            wait_code_ok(browser, *args, **kwargs)
            shot = browser._websocket_request("Page.captureScreenshot", timeout=20)
            save_test_file(
                "spp_payment_audit_export", base64.b64decode(shot["data"]), "tour_"
            )

        # The worker touches the database only once the browser asked for the
        # export (the test's cursor is shared, and locked by requests only).
        self.asked = threading.Event()
        payroll_class = type(self.env["spp.payroll"])
        ask = payroll_class.action_spp_audit_export

        def asked(payrolls, *args, **kwargs):
            result = ask(payrolls, *args, **kwargs)
            self.asked.set()
            return result

        worker = threading.Thread(target=self._run_the_export_once_queued)
        worker.start()
        try:
            with (
                patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture),
                patch.object(payroll_class, "action_spp_audit_export", asked),
            ):
                self.start_tour(
                    "/odoo", "spp_payment_audit_export", login="spp_finance_manager"
                )
        finally:
            self.stop_worker = True
            self.asked.set()
            worker.join(120)
        shots = sorted(
            Path(config["screenshots"]).glob(
                "*/screenshots/tour_*_spp_payment_audit_export.png"
            )
        )
        self.assertTrue(shots, "no screenshot of the tour")
        self.assertEqual(shots[-1].read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        export = self.env["spp.payment.audit.export"].search(
            [("payroll_id", "=", self.payroll.id)]
        )
        self.assertEqual(export.create_uid, self.users["finance_manager"])
        job = self.env["queue.job"].search(
            [("model_name", "=", export._name), ("method_name", "=", "_job_export")]
        )
        self.assertEqual(len(job), 1)
        export.invalidate_recordset()
        self.assertEqual(export.state, "done")
        self.assertEqual(export.rows_done, export.rows_total)
        # The file itself, kept for review beside the screenshot.
        save_test_file(
            "spp_payment_audit_export",
            export.attachment_id.raw,
            "export_",
            extension="xlsx",
            document_type="Audit Excel",
        )
        sheets = self._sheets(export.attachment_id)
        self.assertEqual(len(sheets["Payments"]) - 1, len(self.payments))
        self.assertEqual(len(sheets["Attempts"]) - 1, 7)
