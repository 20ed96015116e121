# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What a user's browser gets: the payroll list in Chromium, the payroll PDF
from wkhtmltopdf. Both need the real tools (setup/run and setup/test install
them); a missing one makes Odoo skip the test, which setup/test counts failed."""

import base64
import io
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser, save_test_file
from odoo.tools import config
from odoo.tools.pdf import PdfReader

from .common import SppPayrollCommon


@tagged("post_install", "-at_install")
class TestBrowser(SppPayrollCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payroll = cls._approved_payroll(name="Tour Payroll")

    def test_payroll_list_tour_in_chromium(self):
        # Odoo keeps a screenshot of failed tours only; this one keeps the
        # successful end state as the run's artefact.
        wait_code_ok = ChromeBrowser._wait_code_ok

        def wait_then_capture(browser, *args, **kwargs):
            wait_code_ok(browser, *args, **kwargs)
            shot = browser._websocket_request("Page.captureScreenshot", timeout=20)
            save_test_file("spp_payroll_list", base64.b64decode(shot["data"]), "tour_")

        with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture):
            self.start_tour("/odoo", "spp_payroll_list", login="spp_finance_officer")
        shots = sorted(
            Path(config["screenshots"]).glob(
                "*/screenshots/tour_*_spp_payroll_list.png"
            )
        )
        self.assertTrue(shots, "no screenshot of the tour")
        self.assertEqual(shots[-1].read_bytes()[:8], b"\x89PNG\r\n\x1a\n")

    def test_payroll_pdf_through_wkhtmltopdf(self):
        # Odoo answers HTML in test mode unless told to render: this is the PDF
        # a user downloads, made by wkhtmltopdf fetching this server's assets.
        self.env["ir.config_parameter"].sudo().set_param("report.url", self.base_url())
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, kind = report._render_qweb_pdf(
            "spp_payroll.report_spp_payroll", self.payroll.ids
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF-"))
        save_test_file("spp_payroll_pdf", pdf, "report_", extension="pdf")
        # The report's text, as pypdf reads it (wkhtmltopdf places words one
        # by one: compare with single spaces).
        pages = PdfReader(io.BytesIO(pdf)).pages
        text = " ".join(" ".join(page.extract_text() for page in pages).split())
        self.assertIn("Tour Payroll", text)
        self.assertIn("HH-0003", text)
        self.assertIn("Manual Bank", text)
        self.assertNotIn("Not approved", text)
