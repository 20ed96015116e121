# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A Finance Manager exports the audit Excel of a payroll in Chromium (setup/run
and setup/test install it; a skipped tour counts as failed)."""

import base64
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser, save_test_file
from odoo.tools import config

from ..models.spp_payment_audit_export import THRESHOLD_PARAM
from .common import SppAuditCommon


@tagged("post_install", "-at_install")
class TestAuditBrowser(SppAuditCommon, HttpCase):
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

        with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture):
            self.start_tour(
                "/odoo", "spp_payment_audit_export", login="spp_finance_manager"
            )
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
        self.assertEqual(export.state, "queued")
        self.assertEqual(export.create_uid, self.users["finance_manager"])
        # The job the click enqueued, run as the queue runner would.
        job = self.env["queue.job"].search(
            [("model_name", "=", export._name), ("method_name", "=", "_job_export")]
        )
        self.assertEqual(len(job), 1)
        export.with_user(self.users["finance_manager"])._job_export()
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
