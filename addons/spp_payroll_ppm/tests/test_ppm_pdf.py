# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The per-point PDF a PPM carries to the point, made by wkhtmltopdf (setup/test
installs it; a missing one makes Odoo skip the test, which setup/test counts
failed)."""

import io

from odoo.tests import HttpCase, tagged
from odoo.tests.common import save_test_file
from odoo.tools.pdf import PdfReader

from .common import SppPpmPayrollCommon


@tagged("post_install", "-at_install")
class TestPointPdf(SppPpmPayrollCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._cash_members(cls.north, 4, topped_up=3)
        cls._cash_members(cls.south, 1)
        cls.payroll = cls._ppm_payroll(cls._ppm_cycle(limit=100.0), name="Cash Dec")
        cls.payroll.action_assign_ppms()
        cls._approve(cls.payroll)

    def _text(self, report, records):
        self.env["ir.config_parameter"].sudo().set_param("report.url", self.base_url())
        renderer = self.env["ir.actions.report"].with_context(
            force_report_rendering=True
        )
        pdf, kind = renderer._render_qweb_pdf(report, records.ids)
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF-"))
        save_test_file("spp_point_pdf", pdf, "report_", extension="pdf")
        pages = PdfReader(io.BytesIO(pdf)).pages
        return " ".join(" ".join(page.extract_text() for page in pages).split())

    def test_point_pdf_through_wkhtmltopdf(self):
        part = self.payroll.payroll_point_ids.filtered(
            lambda p: p.payment_point_id == self.point_north and p.part_no == 2
        )
        text = self._text("spp_payroll_ppm.report_spp_payroll_point", part)
        self.assertIn("Payment point PN Point PN", text)
        self.assertIn("Signature", text)
        self.assertIn(part.manager_id.name, text)
        for payment in part.payment_ids:
            self.assertIn(payment.partner_id.registrant_number, text)
        # Only this part's beneficiaries.
        others = self.payroll.payment_ids - part.payment_ids
        for payment in others:
            self.assertNotIn(payment.partner_id.registrant_number, text)
        self.assertNotIn("Not approved", text)

    def test_payroll_pdf_totals_per_ppm(self):
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("spp_payroll.report_spp_payroll", self.payroll.ids)[0]
            .decode()
        )
        self.assertIn("Total per payment point manager", html)
        for manager in self.payroll.payroll_point_ids.manager_id:
            self.assertIn(manager.name, html)
