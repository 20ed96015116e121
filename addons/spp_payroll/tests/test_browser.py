# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What a user's browser gets: the payroll list in Chromium, the payroll PDF
from wkhtmltopdf. Both need the real tools (setup/run and setup/test install
them); a missing one makes Odoo skip the test, which setup/test counts failed."""

import io
import threading
import time
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import HttpCase, tagged
from odoo.tests.common import save_test_file
from odoo.tools.pdf import PdfReader

from odoo.addons.queue_job.job import Job
from odoo.addons.spp_payment_base.tests.browser import start_tour_with_screenshot

from .common import SppPayrollCommon


@tagged("post_install", "-at_install")
class TestBrowser(SppPayrollCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payroll = cls._approved_payroll(name="Tour Payroll")

    def test_payroll_list_tour_in_chromium(self):
        start_tour_with_screenshot(
            self, "/odoo", "spp_payroll_list", "spp_finance_officer", "spp_payroll_list"
        )

    def test_payroll_lifecycle_tour_in_chromium(self):
        cycle = self._create_cycle(
            name="2026-12", date_start="2026-12-01", date_end="2026-12-31"
        )
        self._approve(cycle)
        payroll = self._new_payroll(cycle, name="Lifecycle Payroll")
        payroll.with_user(self.users["program_officer"]).action_generate()
        url = "/odoo/action-spp_payroll.action_spp_payroll"
        self.start_tour(
            url, "spp_payroll_lifecycle_submit", login="spp_program_officer"
        )
        self.assertEqual(payroll.status, "submitted")
        manager = self.users["finance_manager"]
        self.assertIn(manager, payroll.activity_ids.user_id)
        self.start_tour(url, "spp_payroll_lifecycle_approve", login=manager.login)
        payroll.invalidate_recordset()
        self.assertEqual(payroll.status, "approved")
        self.assertEqual(payroll.approval_review_ids.user_id, manager)
        self.assertFalse(payroll.activity_ids)
        # The browser's request runs the run's jobs at once, as a worker would.
        with patch(
            "odoo.addons.queue_job.delay.must_run_without_delay", return_value=True
        ):
            start_tour_with_screenshot(
                self,
                url,
                "spp_payroll_lifecycle_execute",
                "spp_finance_officer",
                "spp_payroll_form_executed",
            )
        payroll.invalidate_recordset()
        self.assertEqual(payroll.status, "executed")
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"sent"})

    def _perform_jobs_once_opened(self, payroll, opened, stop):
        """As a job runner would, in the background: once the browser has
        read ``payroll``, perform the pending jobs one by one (a chunk's
        queueing, then its delivery), until ``stop`` is set: the thread
        shares the test cursor and must not outlive its test."""
        if not opened.wait(60):
            return
        threading.current_thread().testing = True
        time.sleep(2)
        for _ in range(60):
            if stop.is_set():
                return
            try:
                if not self._perform_one_pending_job():
                    return
            except Exception as error:  # noqa: BLE001
                # The test cursor is shared with the browser's requests: on a
                # loaded machine its lock may not come within 20 s. Try again.
                if "Unable to acquire lock" not in str(error):
                    raise
            time.sleep(0.5)

    def _perform_one_pending_job(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            pending = env["queue.job"].search(
                [("state", "=", "pending")], order="id", limit=1
            )
            if not pending:
                return False
            job = Job.load(env, pending.uuid)
            job.set_started()
            job.store()
            job.perform()
            job.set_done()
            job.store()
        return True

    def test_run_progress_updates_by_itself_in_chromium(self):
        """The finance officer watches a run of three chunks: as its jobs run
        in the background, the form's progress and counts by outcome follow
        through Odoo's bus, without a reload (see the tour)."""
        self.fsp.batch_size = 2
        cycle = self._approve(
            self._create_cycle(
                name="2026-10", date_start="2026-10-01", date_end="2026-10-31"
            )
        )
        payroll = self._approved_payroll(cycle, name="Live Payroll")
        payroll.with_user(self.users["finance_officer"]).action_execute()
        self.assertEqual(payroll.run_ids.chunk_count, 3)
        opened = threading.Event()
        payroll_class = type(self.env["spp.payroll"])
        web_read = payroll_class.web_read

        def watched_web_read(records, *args, **kwargs):
            result = web_read(records, *args, **kwargs)
            if payroll.id in records.ids:
                opened.set()
            return result

        stop = threading.Event()
        worker = threading.Thread(
            target=self._perform_jobs_once_opened, args=(payroll, opened, stop)
        )
        with patch.object(payroll_class, "web_read", watched_web_read):
            worker.start()
            try:
                start_tour_with_screenshot(
                    self,
                    "/odoo/action-spp_payroll.action_spp_payroll",
                    "spp_payroll_live_progress",
                    "spp_finance_officer",
                    "spp_payroll_live_progress",
                )
            finally:
                opened.set()
                stop.set()
                # At most one job and one wait for the test cursor's lock.
                worker.join(120)
        self.assertFalse(worker.is_alive(), "the job thread outlived its test")
        payroll.invalidate_recordset()
        self.assertEqual(payroll.status, "executed")
        self.assertEqual(payroll.run_ids.chunks_done, 3)

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
