# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The upload in Chromium: a missing browser makes Odoo skip the tour, which
setup/test counts failed."""

import base64
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser, save_test_file

from odoo.addons.spp_payroll.tests.common import SppPayrollCommon


@tagged("post_install", "-at_install")
class TestAdhocBrowser(SppPayrollCommon, HttpCase):
    def test_officer_uploads_a_bad_file_then_the_fixed_one(self):
        payroll = self._new_payroll(kind="adhoc", name="Flood relief")
        # The end state of the tour is kept as the run's artefact.
        wait_code_ok = ChromeBrowser._wait_code_ok

        def wait_then_capture(browser, *args, **kwargs):
            wait_code_ok(browser, *args, **kwargs)
            shot = browser._websocket_request("Page.captureScreenshot", timeout=20)
            save_test_file(
                "spp_payroll_adhoc_upload", base64.b64decode(shot["data"]), "tour_"
            )

        with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture):
            self.start_tour(
                f"/odoo/action-spp_payroll.action_spp_payroll/{payroll.id}",
                "spp_payroll_adhoc_upload",
                login="spp_program_officer",
            )
        payroll.invalidate_recordset()
        self.assertEqual(payroll.payment_ids.partner_id, self.household)
        self.assertEqual(payroll.payment_ids.amount, 50.25)
        self.assertEqual(
            payroll.adhoc_line_ids.mapped("name"), ["Amina Otieno", "Peter Kamau"]
        )
        self.assertEqual(payroll.adhoc_file_name, "relief-fixed.csv")
