# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import time

from psycopg2 import OperationalError

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import take_row, worker_name

VIEWER = "spp_payment_base.group_spp_viewer"
# A run's progress is told to the browsers at most this often (and at its end).
NOTIFY_EVERY = "2 seconds"
# queue_job runs lower numbers first (its default is 10).
DELIVERY_PRIORITY = 5
# Per chunk step (_spp_chunk_step): the field keeping its seconds, and what a
# chunk past it has been.
CHUNK_STEPS = {
    "queued": ("queue_seconds", "queued"),
    "delivering": ("deliver_seconds", "delivered"),
}


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
    chunk_ids = fields.One2many("spp.payroll.run.chunk", "run_id", readonly=True)
    chunks_done = fields.Integer(compute="_compute_chunks_done")
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

    def _compute_chunks_done(self):
        done = dict(
            self.env["spp.payroll.run.chunk"]._read_group(
                [("run_id", "in", self.ids), ("state", "=", "done")],
                ["run_id"],
                ["__count"],
            )
        )
        for run in self:
            # A run is done once all its chunks are (runs of earlier versions
            # have no chunk rows).
            run.chunks_done = (
                run.chunk_count if run.state == "done" else done.get(run, 0)
            )

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
                "chunk_ids": [
                    (0, 0, {"number": number, "fsp_id": fsp, "payment_count": len(ids)})
                    for number, (fsp, ids) in enumerate(chunks)
                ],
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
        # The largest chunks first (a file FSP's is its whole share): they
        # run beside the small ones instead of after them.
        order = sorted(range(len(chunks)), key=lambda n: -len(chunks[n][1]))
        for number in order:
            ids = chunks[number][1]
            run.with_delay(
                description=self.env._(
                    "%(payroll)s: chunk %(n)s of %(total)s",
                    payroll=payroll.name,
                    n=number + 1,
                    total=len(chunks),
                ),
                # Two clicks, or two workers, never enqueue the same chunk twice
                # (and its row lock never lets two of them run it).
                identity_key=f"spp.payroll.run:{run.id}:{number}",
            )._job_send_chunk(ids, number)
        return run

    def _spp_chunks(self, payments):
        """[(FSP id, payment ids)] of ``payments`` cut in chunks of their FSP's
        dispatch size, grouped in SQL (a run may hold a million payments)."""
        chunks = []
        for fsp, of_fsp in payments._spp_by_fsp().items():
            ids = of_fsp.ids
            size = fsp._spp_dispatch_chunk_size() or len(ids)
            chunks += [(fsp.id, ids[i : i + size]) for i in range(0, len(ids), size)]
        return chunks

    def _spp_take_chunk(self, number, expected):
        """Lock chunk ``number`` of this run for this transaction, or None
        (nothing to do) when another worker holds it or it is no longer in
        state ``expected``: two job runners, or a job run twice, never process
        one chunk twice. The lock is the chunk's row only, no payment's."""
        self.ensure_one()
        row = take_row(
            self.env.cr,
            SQL(
                "SELECT id, state FROM spp_payroll_run_chunk "
                "WHERE run_id = %s AND number = %s FOR UPDATE NOWAIT",
                self.id,
                number,
            ),
        )
        if not row or row[1] != expected:
            return None
        return self.env["spp.payroll.run.chunk"].browse(row[0])

    def _job_send_chunk(self, payment_ids, number):
        """Queue job, phase 1 of a chunk: queue its payments (new attempts,
        deterministic keys) and enqueue their delivery. The FSP is called by
        that second job, once this one has committed: the queueing locked the
        payments, and nothing is sent while they are locked. A chunk already
        queued (a job run again, another runner) is left alone."""
        self.ensure_one()
        if self.state != "running":
            return f"run {self.id} is {self.state}: chunk skipped"
        return self._spp_chunk_step(
            number, "pending", "queued", self._spp_queue_chunk, payment_ids
        )

    def _spp_chunk_step(self, number, from_state, step, work, payment_ids):
        """Take chunk ``number`` in ``from_state`` (its row locked), record
        ``step`` on it, run ``work(chunk, payment_ids)`` and keep its time on
        the chunk (CHUNK_STEPS). A chunk another worker holds or has moved
        past ``from_state`` is skipped."""
        seconds, done = CHUNK_STEPS[step]
        chunk = self._spp_take_chunk(number, from_state)
        if chunk is None:
            return f"chunk {number} is taken or already {done}: skipped"
        started = time.perf_counter()
        chunk._spp_record_step(step)
        result = work(chunk, payment_ids)
        chunk.sudo()[seconds] = time.perf_counter() - started
        return result

    def _spp_queue_chunk(self, chunk, payment_ids):
        number = chunk.number
        sendable = ("approved",) if self.kind == "execute" else ("failed", "rejected")
        payments = self.env["spp.payment"]
        # A held payment is never sent, whatever put it in a chunk.
        queued = candidates = payments._spp_where(
            payment_ids,
            SQL("state IN %s AND NOT COALESCE(is_quarantined, FALSE)", sendable),
        )
        if candidates:
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
                self._spp_chunk_done(chunk)
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
        # Payments queued earlier (a run released mid-way) are delivered too.
        to_deliver = payments._spp_where(payment_ids, SQL("state = 'queued'"))
        if not to_deliver:
            self._spp_chunk_done(chunk)
            return f"nothing to send, {len(skipped)} skipped"
        self.with_delay(
            description=self.env._(
                "%(payroll)s: deliver %(n)s payments",
                payroll=self.payroll_id.name,
                n=len(to_deliver),
            ),
            identity_key=f"spp.payroll.run:{self.id}:deliver:{number}",
            # Before the chunks still to queue: what is queued reaches the FSP
            # first, and the run's progress moves from its first chunks on.
            priority=DELIVERY_PRIORITY,
        )._job_deliver_chunk(to_deliver.ids, number)
        return f"{len(queued)} payments queued, {len(skipped)} skipped"

    def _job_deliver_chunk(self, payment_ids, number):
        """Queue job, phase 2 of a chunk: hand its queued payments to their
        FSPs. This transaction locks a payment only to record the FSP's answer
        (the chunk's own row stays locked: no other worker delivers it
        meanwhile); a worker dying before it commits leaves the payments
        queued, and the job run again sends the same attempts (same
        idempotency keys), which the FSP recognises. Delivered even when the
        run was released in between: queued payments have attempts that must
        reach the FSP, and nothing else would send them."""
        self.ensure_one()
        return self._spp_chunk_step(
            number, "queued", "delivering", self._spp_deliver_chunk, payment_ids
        )

    def _spp_deliver_chunk(self, chunk, payment_ids):
        payments = self.env["spp.payment"]._spp_where(
            payment_ids, SQL("state = 'queued'")
        )
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
                self._spp_chunk_done(chunk)
                return f"delivery refused: {error}"
        self._spp_chunk_done(chunk)
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

    def _spp_chunk_done(self, chunk):
        """``chunk`` (locked by this transaction) is done. The run's row is
        not written per chunk (chunks of one run finish in parallel workers:
        each would have to wait for, or conflict with, the others): its
        progress is counted from its chunks, and the chunk that finds none
        left open finishes the run. Two last chunks finishing together each
        see the other open; the check runs again once committed (postcommit)."""
        chunk._spp_record_step("done")
        chunk.flush_recordset()
        self.invalidate_recordset(["chunks_done"])
        if self._spp_finish_if_complete():
            return
        # The browsers are told at most every NOTIFY_EVERY (a million payments
        # make hundreds of chunks): when no other chunk of the run ended since.
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM spp_payroll_run_chunk WHERE run_id = %s AND id <> %s "
                "AND date_done > now() AT TIME ZONE 'utc' - %s::interval LIMIT 1",
                self.id,
                chunk.id,
                NOTIFY_EVERY,
            )
        )
        if not self.env.cr.rowcount:
            notify_progress(self.payroll_id)
        run_id, dbname = self.id, self.env.cr.dbname
        self.env.cr.postcommit.add(lambda: self._spp_finish_committed(dbname, run_id))

    def _spp_finish_if_complete(self):
        """Finish the run (done, payroll status, browsers told) when none of
        its chunks is open in this transaction's view; True if it did."""
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM spp_payroll_run_chunk WHERE run_id = %s "
                "AND state <> 'done' LIMIT 1",
                self.id,
            )
        )
        if self.env.cr.rowcount or self.state != "running":
            return False
        self.sudo().write({"state": "done", "date_done": fields.Datetime.now()})
        # Now: the next run's INSERT checks the one-running-run index.
        self.flush_recordset(["state"])
        self.payroll_id._spp_refresh_status()
        notify_progress(self.payroll_id)
        return True

    @classmethod
    def _spp_finish_committed(cls, dbname, run_id):
        """After a chunk committed: finish its run if every chunk is done now
        (in a transaction of its own, retried when a concurrent one wins)."""
        registry = Registry(dbname)
        for attempt in range(5):
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    run = env[cls._name].browse(run_id).exists()
                    if run:
                        run._spp_finish_if_complete()
                return
            except OperationalError as error:
                if error.pgcode not in PG_CONCURRENCY_ERRORS_TO_RETRY or attempt == 4:
                    raise
                time.sleep(0.1 * (attempt + 1))

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


class SppPayrollRunChunk(models.Model):
    """One chunk of a run: one FSP's payments, queued by one job and delivered
    by another. Its row is the chunk's lock (see spp.payroll.run.
    _spp_take_chunk) and records which Odoo process did each step."""

    _name = "spp.payroll.run.chunk"
    _description = "Payroll Execution Chunk"
    _order = "run_id, number"

    run_id = fields.Many2one(
        "spp.payroll.run", required=True, ondelete="cascade", readonly=True
    )
    number = fields.Integer(required=True, readonly=True)
    fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True)
    payment_count = fields.Integer(readonly=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("queued", "Queued"),
            ("done", "Done"),
        ],
        default="pending",
        required=True,
        readonly=True,
    )
    queued_by = fields.Char(readonly=True, help="The process that queued it.")
    delivered_by = fields.Char(readonly=True, help="The process that delivered it.")
    date_queued = fields.Datetime(readonly=True)
    date_done = fields.Datetime(readonly=True)
    queue_seconds = fields.Float(
        readonly=True, help="Wall time of its queueing job (attempts, files)."
    )
    deliver_seconds = fields.Float(
        readonly=True, help="Wall time of its delivery job (the FSP's calls)."
    )

    _one_chunk_per_number = models.UniqueIndex("(run_id, number)")

    def _spp_record_step(self, step):
        """Move this (locked) chunk to ``step``, naming the process."""
        worker = worker_name()
        values = {
            "queued": {
                "state": "queued",
                "queued_by": worker,
                "date_queued": fields.Datetime.now(),
            },
            "delivering": {"delivered_by": worker},
            "done": {"state": "done", "date_done": fields.Datetime.now()},
        }[step]
        self.sudo().write(values)
