# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class SppReportScopeActions(models.AbstractModel):
    """Buttons that open the audit export or the donor report on a record."""

    _name = "spp.report.scope.actions"
    _description = "Report Buttons of a Payroll or Program"

    def _spp_report_scope(self):
        raise NotImplementedError

    def action_spp_audit_export(self):
        """Export this record's payments now (or start the job, above the
        threshold): one click for the auditor's file."""
        self.ensure_one()
        export = self.env["spp.payment.audit.export"].create(self._spp_report_scope())
        return export.action_export()

    def action_spp_donor_report(self):
        self.ensure_one()
        wizard = self.env["spp.payment.donor.report"].create(self._spp_report_scope())
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Donor Report"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }


class SppPayroll(models.Model):
    _name = "spp.payroll"
    _inherit = ["spp.payroll", "spp.report.scope.actions"]

    def _spp_report_scope(self):
        return {
            "scope": "payroll",
            "payroll_id": self.id,
            "program_id": self.program_id.id,
        }


class SppProgram(models.Model):
    _name = "spp.program"
    _inherit = ["spp.program", "spp.report.scope.actions"]

    def _spp_report_scope(self):
        return {"scope": "program", "program_id": self.id}
