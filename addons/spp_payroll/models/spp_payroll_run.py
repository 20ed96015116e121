# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

VIEWER = "spp_payment_base.group_spp_viewer"
# A run's progress is told to the browsers at most this often (and at its end).
NOTIFY_EVERY = "2 seconds"


def notify_progress(records):
    """Tell the browsers of the users who may read ``records`` (long work in
    progress: a run, an export) that they moved on: the model and ids only,
    the forms showing them read them again with their user's rights."""
    group = records.env.ref(VIEWER, raise_if_not_found=False)
    if group and records:
        group.sudo()._bus_send(
            "spp.progress", {"model": records._name, "ids": records.ids}
        )


class SppPayrollRun(models.Model):
    """One execution (or retry) of a payroll: its payments cut into chunks, one
    queue job per chunk. Only one run per payroll is running at a time."""

    _name = "spp.payroll.run"
    _description = "Payroll Execution Run"
    _order = "id desc"

    payroll_id = fields.Many2one(
        "spp.payroll", required=True, index=True, ondelete="cascade", readonly=True
    )
    kind = fields.Selection(
        [("execute", "Execution"), ("retry", "Retry")], required=True, readonly=True
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("aborted", "Aborted")],
        default="running",
        required=True,
        readonly=True,
    )
    chunk_count = fields.Integer(readonly=True)
    chunks_done = fields.Integer(readonly=True, default=0)
    payment_count = fields.Integer(readonly=True)
    held_count = fields.Integer(
        string="Held Back",
        readonly=True,
        help="Approved payments not sent: their member's details changed "
        "recently and no checker has cleared them yet.",
    )
    progress = fields.Float(compute="_compute_progress")
    started_by_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user
    )
    date_done = fields.Datetime(readonly=True)
    notified_date = fields.Datetime(
        readonly=True, help="When the browsers were last told of its progress."
    )
    note = fields.Text(readonly=True)
    skipped_count = fields.Integer(
        string="Skipped",
        readonly=True,
        default=0,
        help="Payments not sent: no retries left, or their chunk was refused "
        "(see the note).",
    )

    funding_confirmation_ids = fields.One2many(
        "spp.payroll.funding.confirmation",
        "run_id",
        string="Funding Confirmed",
        readonly=True,
        help="FSPs whose balance was not known when the run started: the "
        "Finance Manager who confirmed their funding, and why.",
    )
    funding_confirmed = fields.Boolean(
        compute="_compute_funding_confirmed", string="Funding Confirmed by Manager"
    )

    _one_running_run = models.UniqueIndex(
        "(payroll_id) WHERE state = 'running'",
        "This payroll is already being executed; wait, or release its lock.",
    )

    def _compute_funding_confirmed(self):
        for run in self:
            run.funding_confirmed = bool(run.funding_confirmation_ids)

    def _compute_progress(self):
        for run in self:
            run.progress = (
                100.0 * run.chunks_done / run.chunk_count if run.chunk_count else 0.0
            )

    def _spp_start(self, payroll, payments, kind, skipped=None, held=None):
        """Create the run and enqueue one job per (FSP, chunk) of payments;
        ``skipped`` (payments left out, e.g. with no retries left) and ``held``
        payments (quarantined until a checker clears them) are reported in the
        run."""
        held = held or self.env["spp.payment"]
        held_note = (
            self.env._(
                "%(count)s payments held until a checker clears them: %(refs)s.",
                count=len(held),
                refs=held._spp_refs(held),
            )
            if held
            else ""
        )
        if not payments:
            raise UserError(
                " ".join(
                    filter(
                        None,
                        [self.env._("Nothing to send in %s.", payroll.name), held_note],
                    )
                )
            )
        if payroll.running:
            raise UserError(self.env._("%s is already being executed.", payroll.name))
        chunks = self._spp_chunks(payments)
        run = self.sudo().create(
            {
                "payroll_id": payroll.id,
                "kind": kind,
                "chunk_count": len(chunks),
                "payment_count": len(payments),
                "held_count": len(held),
                "note": held_note or False,
            }
        )
        # Starting changes no payment: whatever failures it had, it keeps.
        payroll._spp_refresh_status(failures="keep")
        notify_progress(payroll)
        if skipped:
            run._spp_report_skipped(
                len(skipped),
                self.env._(
                    "No retries left, not sent: %s.",
                    self.env["spp.payment"]._spp_refs(skipped),
                ),
            )
        for number, chunk in enumerate(chunks):
            run.with_delay(
                description=self.env._(
                    "%(payroll)s: chunk %(n)s of %(total)s",
                    payroll=payroll.name,
                    n=number + 1,
                    total=len(chunks),
                ),
                # Two clicks, or two workers, never enqueue the same chunk twice.
                identity_key=f"spp.payroll.run:{run.id}:{number}",
            )._job_send_chunk(chunk)
        return run

    def _spp_chunks(self, payments):
        chunks = []
        for fsp in payments.fsp_id:
            ids = payments.filtered(lambda p, f=fsp: p.fsp_id == f).ids
            size = fsp._spp_dispatch_chunk_size() or len(ids)
            chunks += [ids[i : i + size] for i in range(0, len(ids), size)]
        without_fsp = payments.filtered(lambda p: not p.fsp_id)
        if without_fsp:
            raise UserError(
                self.env._(
                    "Payments without an FSP: %s.",
                    self.env["spp.payment"]._spp_refs(without_fsp),
                )
            )
        return chunks

    def _job_send_chunk(self, payment_ids):
        """Queue job, phase 1 of a chunk: queue its payments (new attempts,
        deterministic keys) and enqueue their delivery. The FSP is called by
        that second job, once this one has committed: the queueing locked the
        payments, and nothing is sent while they are locked. Payments that
        already left (a job retried after a crash, say) are skipped."""
        self.ensure_one()
        if self.state != "running":
            return f"run {self.id} is {self.state}: chunk skipped"
        sendable = ("approved",) if self.kind == "execute" else ("failed", "rejected")
        payments = self.env["spp.payment"].browse(payment_ids).exists()
        # A held payment is never sent, whatever put it in a chunk.
        queued = payments.filtered(
            lambda p: p.state in sendable and not p.is_quarantined
        )
        skipped = payments.browse()
        if queued:
            candidates = queued
            try:
                with self.env.cr.savepoint():
                    # File FSPs write a run's file while queueing: they need the run.
                    queued = candidates.with_context(
                        spp_payroll_run_id=self.id
                    )._spp_queue_for_sending(skip_exhausted=True)
            except UserError as error:
                # A refused chunk must not leave the run locked: it is undone,
                # reported in the run and counted done; its payments stay where
                # they were, to be sent again once the cause is fixed.
                self._spp_report_skipped(len(candidates), str(error)[:500])
                self._spp_chunk_done()
                return f"chunk refused: {error}"
            skipped = candidates - queued
        if skipped:
            self._spp_report_skipped(
                len(skipped),
                self.env._(
                    "No retries left, not sent: %s.",
                    self.env["spp.payment"]._spp_refs(skipped),
                ),
            )
        # Payments queued by an earlier run of this job are delivered as well.
        to_deliver = payments.filtered(lambda p: p.state == "queued")
        if not to_deliver:
            self._spp_chunk_done()
            return f"nothing to send, {len(skipped)} skipped"
        self.with_delay(
            description=self.env._(
                "%(payroll)s: deliver %(n)s payments",
                payroll=self.payroll_id.name,
                n=len(to_deliver),
            ),
            identity_key=f"spp.payroll.run:{self.id}:deliver:{min(to_deliver.ids)}",
        )._job_deliver_chunk(to_deliver.ids)
        return f"{len(queued)} payments queued, {len(skipped)} skipped"

    def _job_deliver_chunk(self, payment_ids):
        """Queue job, phase 2 of a chunk: hand its queued payments to their
        FSPs. This transaction locks a payment only to record the FSP's answer;
        a worker dying before it commits leaves the payments queued, and the
        job run again sends the same attempts (same idempotency keys), which
        the FSP recognises. Delivered even when the run was released in
        between: queued payments have attempts that must reach the FSP, and
        nothing else would send them."""
        self.ensure_one()
        payments = self.env["spp.payment"].browse(payment_ids).exists()
        payments = payments.filtered(lambda p: p.state == "queued")
        if payments:
            try:
                with self.env.cr.savepoint():
                    # Providers that file a run's payments together need the run.
                    payments.with_context(spp_payroll_run_id=self.id)._spp_deliver()
            except UserError as error:
                # Refused before anything reached the FSP (e.g. a file the bank
                # would reject): reported, and the run is not left locked; the
                # payments stay queued under their keys for a later delivery.
                self._spp_report_skipped(len(payments), str(error)[:500])
                if self.state == "running":
                    self._spp_chunk_done()
                return f"delivery refused: {error}"
        if self.state == "running":
            self._spp_chunk_done()
        return f"{len(payments)} payments sent"

    def _spp_report_skipped(self, count, text):
        # Atomic: chunks of one run may finish in parallel workers.
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payroll_run SET skipped_count = skipped_count + %s, "
                "note = concat_ws(E'\\n', note, %s::text) WHERE id = %s",
                count,
                text,
                self.id,
            )
        )
        self.invalidate_recordset(["skipped_count", "note"])

    def _spp_chunk_done(self):
        # Atomic increment: chunks of one run may finish in parallel workers.
        self.flush_recordset()
        # The browsers are told at the last chunk, and otherwise at most every
        # NOTIFY_EVERY (a million payments make hundreds of chunks).
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_payroll_run r
                   SET chunks_done = r.chunks_done + 1,
                       notified_date = CASE WHEN c.notify
                           THEN now() AT TIME ZONE 'utc'
                           ELSE r.notified_date END
                  FROM (SELECT id,
                               chunks_done + 1 >= chunk_count
                               OR notified_date IS NULL
                               OR notified_date
                                  <= now() AT TIME ZONE 'utc' - %s::interval
                                   AS notify
                          FROM spp_payroll_run WHERE id = %s) c
                 WHERE r.id = c.id
             RETURNING r.chunks_done, r.chunk_count, c.notify
                """,
                NOTIFY_EVERY,
                self.id,
            )
        )
        done, total, notify = self.env.cr.fetchone()
        self.invalidate_recordset(["chunks_done", "notified_date"])
        if done >= total:
            self.sudo().write({"state": "done", "date_done": fields.Datetime.now()})
            # Now: the next run's INSERT checks the one-running-run index.
            self.flush_recordset(["state"])
            self.payroll_id._spp_refresh_status()
        if notify or done >= total:
            notify_progress(self.payroll_id)

    def _spp_abort(self):
        self.sudo().write(
            {
                "state": "aborted",
                "date_done": fields.Datetime.now(),
                "note": self.env._("Lock released by %s.", self.env.user.name),
            }
        )
        self.payroll_id._spp_refresh_status()
        notify_progress(self.payroll_id)
