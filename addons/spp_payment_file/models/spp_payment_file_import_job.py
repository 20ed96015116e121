# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A large ISO 20022 reply or statement (camt.053/052/054, pain.002), imported
in a queue job instead of the request: the same import as the wizard's, all
or nothing (a failed job changes nothing), its progress written from a cursor
of its own and told to the browsers over the bus."""

import base64

from odoo import api, fields, models

from odoo.addons.spp_payroll.models.spp_payroll_run import notify_progress

# From this many bytes on, an ISO 20022 file is imported in a queue job.
THRESHOLD_PARAM = "spp_payment_file.import_job_bytes"
DEFAULT_THRESHOLD = 2_000_000
IMPORT_KINDS = [
    ("pain002", "ISO 20022 pain.002 status report"),
    ("camt054", "ISO 20022 camt.054 notification"),
    ("camt053", "ISO 20022 camt.053 bank statement"),
    ("camt052", "ISO 20022 camt.052 account report"),
]


class SppPaymentFileImportJob(models.Model):
    _name = "spp.payment.file.import.job"
    _description = "FSP Reply Import Job"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    fsp_id = fields.Many2one(
        "spp.fsp", string="FSP", required=True, readonly=True, ondelete="cascade"
    )
    payroll_id = fields.Many2one("spp.payroll", readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="fsp_id.company_id", store=True)
    user_id = fields.Many2one("res.users", string="Requested by", readonly=True)
    kind = fields.Selection(IMPORT_KINDS, required=True, readonly=True)
    file_name = fields.Char(readonly=True)
    file_size = fields.Integer(string="Size (bytes)", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", readonly=True)
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="queued",
        required=True,
        readonly=True,
    )
    progress = fields.Float(readonly=True)
    progress_message = fields.Char(string="Step", readonly=True)
    error = fields.Text(
        readonly=True, help="Why the import failed: nothing of the file was applied."
    )
    result_model = fields.Char(readonly=True)
    result_id = fields.Many2oneReference(model_field="result_model", readonly=True)
    date_done = fields.Datetime(readonly=True)

    @api.model
    def _spp_threshold(self):
        value = self.env["ir.config_parameter"].sudo().get_param(THRESHOLD_PARAM)
        try:
            return int(value) if value else DEFAULT_THRESHOLD
        except ValueError:
            return DEFAULT_THRESHOLD

    @api.model
    def _spp_enqueue(self, wizard, raw, kind):
        """A job importing ``raw`` as ``wizard`` would, as its user."""
        job = self.sudo().create(
            {
                "name": self.env._(
                    "%(fsp)s: %(file)s", fsp=wizard.fsp_id.name, file=wizard.file_name
                ),
                "fsp_id": wizard.fsp_id.id,
                "payroll_id": wizard.payroll_id.id,
                "user_id": self.env.uid,
                "kind": kind,
                "file_name": wizard.file_name,
                "file_size": len(raw),
            }
        )
        job.attachment_id = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": wizard.file_name or "import.xml",
                    "raw": raw,
                    "res_model": self._name,
                    "res_id": job.id,
                }
            )
        )
        job = job.with_env(self.env)
        job.with_delay(
            description=job.name, identity_key=f"{self._name}:{job.id}"
        )._job_import()
        return job._spp_action_open()

    def _spp_action_open(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_open_result(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.result_model,
            "res_id": self.result_id,
            "view_mode": "form",
            "target": "current",
        }

    # The job ---------------------------------------------------------------

    def _job_import(self):
        """Queue job, as the user who asked: the wizard's import, rolled back
        whole on any error (recorded on the job from a cursor of its own)."""
        self.ensure_one()
        if self.state not in ("queued", "running"):  # running: a worker died
            return f"import {self.id} is {self.state}: nothing to do"
        self._spp_write_progress(
            {"state": "running", "progress": 5.0, "progress_message": "Reading"}
        )
        wizard = (
            self.env["spp.reconciliation.import"]
            .with_context(spp_import_job=self.id)
            .create(
                {
                    "fsp_id": self.fsp_id.id,
                    "payroll_id": self.payroll_id.id,
                    "file_name": self.file_name,
                    "data": base64.b64encode(self.attachment_id.sudo().raw),
                }
            )
        )
        try:
            with self.env.cr.savepoint():
                action = wizard.action_import()
        except Exception as error:
            self._spp_write_progress(
                {
                    "state": "failed",
                    "error": str(error)[:2000],
                    "progress_message": self.env._("Failed: nothing was imported"),
                }
            )
            raise
        self._spp_write_progress(
            {
                "state": "done",
                "progress": 100.0,
                "progress_message": self.env._("Imported"),
                "result_model": action.get("res_model"),
                "result_id": action.get("res_id"),
                "date_done": fields.Datetime.now(),
            }
        )
        return f"{self.file_name} imported"

    def _spp_write_progress(self, values):
        """Write ``values`` in a cursor of its own, committed when the block
        ends (this job's transaction never writes the job), and tell the
        browsers showing it."""
        with self.env.registry.cursor() as cr:
            job = self.with_env(self.env(cr=cr)).sudo()
            job.write(values)
            notify_progress(job)
        self.invalidate_recordset(list(values))
