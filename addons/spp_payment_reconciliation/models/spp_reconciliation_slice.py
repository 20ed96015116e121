# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A large accepted batch is applied in slices of its lines, one queue job per
slice, run side by side by as many job workers as its channel allows, then
finished by one last job (see SppReconciliation._spp_start_slices)."""

import time

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.delay import group
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.spp_payment_base.tools import take_row, worker_name
from odoo.addons.spp_payroll.models.spp_payroll_run import notify_progress

# Lines per slice unless the parameter says otherwise: a slice is one
# transaction, 250,000 payments moved in about 6 s here; a batch of one slice
# is applied in the checker's own request.
SLICE_SIZE_PARAM = "spp_payment_reconciliation.apply_slice_size"
DEFAULT_SLICE_SIZE = 250_000
# How long the finishing job waits for a slice another worker still holds.
FINISH_RETRY_SECONDS = 10


class SppReconciliation(models.Model):
    _inherit = "spp.reconciliation"  # pylint: disable=consider-merging-classes-inherited

    applying = fields.Boolean(
        compute="_compute_apply_progress",
        help="Accepted and being applied by queued jobs, one per slice of its "
        "lines: its payments move slice by slice.",
    )
    slice_ids = fields.One2many(
        "spp.reconciliation.slice", "reconciliation_id", readonly=True
    )
    slice_count = fields.Integer(string="Slices", readonly=True, copy=False)
    slices_done = fields.Integer(compute="_compute_apply_progress")
    apply_progress = fields.Float(compute="_compute_apply_progress")

    @api.depends("slice_ids.state", "slice_count", "applied_date")
    def _compute_apply_progress(self):
        for batch in self:
            done = len(batch.slice_ids.filtered(lambda s: s.state == "done"))
            batch.slices_done = done
            count = batch.slice_count
            batch.apply_progress = 100.0 * done / count if count else 0.0
            batch.applying = bool(count) and not batch.applied_date

    def _spp_applied_in_slices(self):
        return (self.summary or {}).get("lines", 0) > self._spp_slice_size()

    def _spp_check_can_approve(self):
        """Refused before the approval is written: for a batch applied in
        slices, what would stop its last slice."""
        result = super()._spp_check_can_approve()
        if self._spp_applied_in_slices():
            self._spp_check_can_apply()
        return result

    def _on_spp_approved(self):
        """Accepted: applied now, or, for more lines than one slice, by queued
        jobs (a million lines would hold the checker's request and one
        PostgreSQL core for half a minute)."""
        if self._spp_applied_in_slices():
            return self._spp_start_slices(self._spp_line_slices())
        return super()._on_spp_approved()

    def _spp_slice_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param(SLICE_SIZE_PARAM)
        return max(int(value or DEFAULT_SLICE_SIZE), 1)

    def _spp_line_slices(self):
        """[(first line id, last line id, line count)]: the batch's lines in
        id order, cut every slice size."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT MIN(id), MAX(id), COUNT(*)
                  FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS n
                          FROM spp_reconciliation_line
                         WHERE reconciliation_id = %s) numbered
                 GROUP BY n ORDER BY n
                """,
                self._spp_slice_size(),
                self.id,
            )
        )
        return self.env.cr.fetchall()

    def _spp_check_can_apply(self):
        """What would stop the batch from being applied to the end, checked
        before its first slice moves a payment (extended by accounting)."""

    def _spp_start_slices(self, slices):
        """One slice row and one job per slice, and a job finishing the batch
        once they are all done; nothing moves before this commits."""
        self.env["spp.reconciliation.slice"].sudo().create(
            [
                {
                    "reconciliation_id": self.id,
                    "number": number,
                    "first_line_id": first,
                    "last_line_id": last,
                    "line_count": count,
                }
                for number, (first, last, count) in enumerate(slices)
            ]
        )
        self._spp_write_approval({"slice_count": len(slices)})
        jobs = [
            self.delayable(
                description=self.env._(
                    "%(batch)s: apply slice %(n)s of %(total)s",
                    batch=self.name,
                    n=number + 1,
                    total=len(slices),
                ),
                identity_key=f"spp.reconciliation:{self.id}:slice:{number}",
            )._job_apply_slice(number)
            for number in range(len(slices))
        ]
        finish = self.delayable(
            description=self.env._("%s: finish applying", self.name),
            identity_key=f"spp.reconciliation:{self.id}:finish",
        )._job_finish_slices()
        group(*jobs).on_done(finish).delay()

    def _job_apply_slice(self, number):
        """Queue job: apply slice ``number`` in this transaction. Its row is
        its lock: a slice another worker holds, or already applied (the job
        run again), is left alone. Slices touch different payments; two that
        name one payment conflict, and the later is retried and finds the
        payment moved (its line then skipped, as in one transaction)."""
        self.ensure_one()
        piece = self._spp_take_slice(number)
        if piece is None:
            return f"slice {number} is taken or already applied: skipped"
        started = time.perf_counter()
        payroll_ids = self._spp_apply_lines((piece.first_line_id, piece.last_line_id))
        piece.write(
            {
                "state": "done",
                "payroll_ids": sorted(payroll_ids),
                "applied_by": worker_name(),
                "date_done": fields.Datetime.now(),
                "seconds": time.perf_counter() - started,
            }
        )
        notify_progress(self)
        return f"slice {number}: {piece.line_count} lines applied"

    def _spp_take_slice(self, number):
        """Slice ``number``, locked for this transaction, or None when another
        worker holds it or it is done."""
        row = take_row(
            self.env.cr,
            SQL(
                "SELECT id, state FROM spp_reconciliation_slice "
                "WHERE reconciliation_id = %s AND number = %s FOR UPDATE NOWAIT",
                self.id,
                number,
            ),
        )
        if not row or row[1] != "pending":
            return None
        return self.env["spp.reconciliation.slice"].sudo().browse(row[0])

    def _job_finish_slices(self):
        """Queue job, once every slice job ended: the batch is applied (and
        what follows a whole batch runs once), or, while a slice is still
        held by a worker, tried again later."""
        self.ensure_one()
        # One finisher: a second one waits here, then finds the batch applied.
        self.env.cr.execute(
            SQL("SELECT id FROM spp_reconciliation WHERE id = %s FOR UPDATE", self.id)
        )
        self.invalidate_recordset()
        if self.applied_date:
            return "already applied"
        pending = self.slice_ids.filtered(lambda s: s.state != "done")
        if pending:
            raise RetryableJobError(
                f"slices {pending.mapped('number')} not applied yet",
                seconds=FINISH_RETRY_SECONDS,
            )
        payroll_ids = {pid for piece in self.slice_ids for pid in piece.payroll_ids}
        self._spp_finish_apply(payroll_ids)
        notify_progress(self)
        return f"{self.slice_count} slices applied"


class SppReconciliationSlice(models.Model):
    """One slice of an accepted batch's lines (an id range), applied by one
    job in one transaction. Its row is the slice's lock and records which
    Odoo process applied it, and in how long."""

    _name = "spp.reconciliation.slice"
    _description = "Reconciliation Slice"
    _order = "reconciliation_id, number"
    _log_access = False

    reconciliation_id = fields.Many2one(
        "spp.reconciliation", required=True, ondelete="cascade", readonly=True
    )
    number = fields.Integer(required=True, readonly=True)
    first_line_id = fields.Integer(required=True, readonly=True)
    last_line_id = fields.Integer(required=True, readonly=True)
    line_count = fields.Integer(readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Applied")],
        default="pending",
        required=True,
        readonly=True,
    )
    payroll_ids = fields.Json(
        readonly=True, help="The payrolls whose payments it settled."
    )
    applied_by = fields.Char(readonly=True, help="The process that applied it.")
    date_done = fields.Datetime(readonly=True)
    seconds = fields.Float(readonly=True, help="Wall time of its job.")

    _one_slice_per_number = models.UniqueIndex("(reconciliation_id, number)")
