# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import SppPayrollCommon, perform_jobs


class SppFileCommon(SppPayrollCommon):
    """The payroll FSP files its payments: a CSV with chosen columns, and a reply
    template matching on the payment reference."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = cls.users["finance_officer"]
        cls.manager = cls.users["finance_manager"]
        cls.fsp.write(
            {
                "name": "File Bank",
                "provider": "file",
                "batch_size": 2,
                "file_format": "csv",
                "file_delimiter": ";",
                "file_trailer_line": "TOTAL;{count};{total}",
                "file_column_ids": [
                    (0, 0, {"sequence": 1, "field": "reference", "header": "Ref"}),
                    (0, 0, {"sequence": 2, "field": "name", "header": "Name"}),
                    (0, 0, {"sequence": 3, "field": "destination", "header": "MSISDN"}),
                    (0, 0, {"sequence": 4, "field": "amount", "header": "Amount"}),
                ],
                "recon_status_map_ids": [
                    (0, 0, {"value": "SUCCESS", "outcome": "paid"}),
                    (0, 0, {"value": "FAILED", "outcome": "failed"}),
                ],
                "recon_extra_columns": "agent",
                "recon_tolerance": 0.5,
            }
        )

    def _executed_payroll(self):
        payroll = self._approved_payroll()
        with trap_jobs() as trap:
            payroll.with_user(self.finance).action_execute()
            jobs = len(trap.enqueued_jobs)
            perform_jobs(trap)
        return payroll, jobs

    def _wizard(self, payroll, content, name="reply.csv", user=None):
        data = content if isinstance(content, bytes) else content.encode()
        return (
            self.env["spp.reconciliation.import"]
            .with_user(user or self.finance)
            .create(
                {
                    "payroll_id": payroll.id,
                    "fsp_id": self.fsp.id,
                    "data": base64.b64encode(data),
                    "file_name": name,
                }
            )
        )

    def _import(self, payroll, content, name="reply.csv", user=None):
        wizard = self._wizard(payroll, content, name, user)
        wizard.action_check()
        self.assertEqual(wizard.error_count, 0, wizard.result_html)
        action = wizard.action_import()
        return self.env["spp.reconciliation"].browse(action["res_id"])
