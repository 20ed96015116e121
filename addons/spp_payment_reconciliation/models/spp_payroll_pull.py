# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Reconciliation by API: what the FSPs report about a payroll's payments, pulled
into a batch that changes nothing until a checker accepts it."""

from collections import Counter

from spp_payment_core import money, states
from spp_payment_core.reconcile import Line

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payroll.models.spp_payroll_run import notify_progress

# Payments whose FSP outcome may still change (paid: it may come back reversed).
PULLED_STATES = ("sent", "accepted", "processing", "unknown", "paid")
# Payment state an FSP reports -> reconciliation line outcome.
LINE_OUTCOME = {
    states.PAID: "paid",
    states.FAILED: "failed",
    states.REJECTED: "rejected",
    states.REVERSED: "reversed",
    states.ACCEPTED: "processing",
    states.PROCESSING: "processing",
}


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    count_reconciliations = fields.Integer(
        string="Reconciliation Count", compute="_compute_counts"
    )

    def _spp_count_columns(self):
        return {
            **super()._spp_count_columns(),
            "count_reconciliations": SQL(
                "(SELECT COUNT(*) FROM spp_reconciliation rc "
                "WHERE rc.payroll_id = pr.id)"
            ),
        }

    def action_view_reconciliations(self):
        return self._spp_open_list(
            "spp.reconciliation",
            self.env._("Reconciliations of %s", self.name),
            [("payroll_id", "=", self.id)],
        )

    def action_pull_reconciliation(self):
        """Queue the questions to every API FSP of the payroll about its open
        and paid payments, one job per chunk (paced by the FSP's rate limit):
        this request calls no FSP and changes no payment. The jobs put what
        moves into one reconciliation batch, shown pulling with its progress,
        and submit it for acceptance when the last chunk has answered."""
        self.ensure_one()
        self._spp_check_finance_user()
        self._spp_expect_status(
            ("executing", "executed", "reconciled"), self.env._("reconciled")
        )
        self._spp_check_no_open_pull()
        by_fsp = self._spp_pullable_payments()
        if not by_fsp:
            raise UserError(
                self.env._(
                    "No payment of %s is at an FSP that answers status queries.",
                    self.name,
                )
            )
        chunks = [
            (fsp, ids[start : start + fsp._spp_dispatch_chunk_size()])
            for fsp, ids in by_fsp.items()
            for start in range(0, len(ids), fsp._spp_dispatch_chunk_size())
        ]
        batch = self.env["spp.reconciliation"]._spp_create_batch(
            dict(
                self._spp_pull_vals(by_fsp),
                pull_state="running",
                pull_chunk_count=len(chunks),
            ),
            [],
        )
        for number, (fsp, ids) in enumerate(chunks):
            batch.with_delay(
                description=self.env._(
                    "%(payroll)s: pull %(n)s of %(total)s from %(fsp)s",
                    payroll=self.name,
                    n=number + 1,
                    total=len(chunks),
                    fsp=fsp.name,
                ),
                # Two clicks, or two workers, never queue the same chunk twice.
                identity_key=f"spp.reconciliation.pull:{batch.id}:{number}",
            )._job_pull_chunk(fsp.id, ids, number)
        return batch._spp_action_open()

    def _spp_check_no_open_pull(self):
        """One undecided pull at a time: two would report the same outcomes."""
        open_pull = self.env["spp.reconciliation"].search(
            [
                ("payroll_id", "=", self.id),
                ("source", "=", "api"),
                ("approval_state", "in", ("draft", "submitted")),
                ("cleared", "=", False),
            ],
            limit=1,
        )
        if open_pull:
            raise UserError(
                self.env._(
                    "%s is still waiting for acceptance; accept or reject it "
                    "before pulling again.",
                    open_pull.name,
                )
            )

    def _spp_pullable_payments(self):
        """FSP -> ids of the payroll's payments it can report on."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT fsp_id, array_agg(id ORDER BY id) FROM spp_payment
                 WHERE payroll_id = %s AND state IN %s AND fsp_id IS NOT NULL
                   AND current_attempt_id IS NOT NULL
              GROUP BY fsp_id ORDER BY fsp_id
                """,
                self.id,
                PULLED_STATES,
            )
        )
        fsp_model = self.env["spp.fsp"].sudo()
        return {
            fsp: ids
            for fsp_id, ids in self.env.cr.fetchall()
            if (fsp := fsp_model.browse(fsp_id))._spp_supports_status_query()
        }

    def _spp_pull_lines(self, fsp, payments, outcomes):
        """Lines for the ``payments`` whose ``outcomes`` (what ``fsp`` reported
        about them) move them, and a count of what it said. An FSP answering
        by callback was asked, and reports later."""
        counts = Counter(asked=len(payments), reported=len(outcomes))
        if not fsp._spp_reports_synchronously():
            counts["answers_by_callback"] = len(payments)
        rows = fsp._spp_attempt_rows([o.key for o in outcomes], lock=False)
        # Evidence, recorded now: a success for an attempt or payment we did not
        # mean to pay is never left for the checker to find.
        fsp._spp_record_overpayments(outcomes, "api_pull")
        moves = fsp._spp_moves(outcomes, rows, counts)
        amounts = dict(
            self.env["spp.payment"]
            .sudo()
            .browse(list(moves))
            # FSPs report in their currency: compared with what they were asked.
            .mapped(lambda p: (p.id, p.fsp_amount if p.fsp_currency_id else p.amount))
        )
        lines = []
        for payment_id, outcome in moves.items():
            line = _line(payment_id, outcome, amounts[payment_id])
            if line:
                lines.append(line)
                counts[line.outcome] += 1
            else:
                counts["unknown_at_fsp"] += 1
        return lines, dict(counts)

    def _spp_pull_vals(self, by_fsp):
        fsps = list(by_fsp)
        return {
            "name": self.env._(
                "%(payroll)s API pull %(when)s",
                payroll=self.name,
                when=fields.Datetime.to_string(fields.Datetime.now()),
            ),
            "source": "api",
            "program_id": self.program_id.id,
            "payroll_id": self.id,
            "fsp_id": fsps[0].id if len(fsps) == 1 else False,
        }


class SppReconciliation(models.Model):
    _inherit = "spp.reconciliation"

    pull_state = fields.Selection(
        [("running", "Pulling"), ("done", "Pulled")],
        readonly=True,
        help="An API pull asks the FSPs in queued jobs, one per chunk; the batch "
        "is submitted when the last one has answered.",
    )
    pull_chunk_count = fields.Integer(string="Chunks to Pull", readonly=True)
    pull_chunks_done = fields.Integer(string="Chunks Pulled", readonly=True)
    pull_progress = fields.Float(compute="_compute_pull_progress")
    # Numbers of the chunks applied (a re-run job applies nothing twice), and
    # what each FSP said so far.
    pull_chunks_applied = fields.Json(readonly=True, copy=False)
    # Lines the chunks recorded so far: the next chunk's first row number,
    # without reading the batch's lines again (see _spp_add_pull_lines).
    pull_line_count = fields.Integer(readonly=True, copy=False)
    pull_report = fields.Json(readonly=True, copy=False)

    @api.depends("pull_chunks_done", "pull_chunk_count")
    def _compute_pull_progress(self):
        for batch in self:
            count = batch.pull_chunk_count
            batch.pull_progress = 100.0 * batch.pull_chunks_done / count if count else 0

    def _spp_check_can_submit(self):
        if self.pull_state == "running":
            raise UserError(
                self.env._("%s is still pulling: it is submitted when done.", self.name)
            )
        return super()._spp_check_can_submit()

    def _job_pull_chunk(self, fsp_id, payment_ids, number):
        """Queue job: ask ``fsp_id`` about one chunk of the payroll's payments
        (nothing locked while it answers), then add the lines of what moved to
        this batch, with the chunk marked applied in the same transaction."""
        self.ensure_one()
        if self._spp_pull_applied(number):
            return f"chunk {number} already applied"
        fsp = self.env["spp.fsp"].sudo().browse(fsp_id)
        payments = self.env["spp.payment"].sudo().browse(payment_ids).exists()
        payments = payments.filtered(
            lambda p: p.state in PULLED_STATES and p.current_attempt_id
        )
        outcomes = fsp._spp_query_outcomes(payments) if payments else []
        # From here on the batch's row is locked until this job commits: the
        # chunks of a pull record their answers one after the other.
        claimed = self._spp_claim_pull_chunk(number)
        if claimed is None:
            return f"chunk {number} already applied"
        lines, counts = self.payroll_id._spp_pull_lines(fsp, payments, outcomes)
        self._spp_add_pull_lines(lines, fsp.id)
        report = dict(self.pull_report or {})
        report[fsp.name] = dict(Counter(report.get(fsp.name, {})) + Counter(counts))
        self._spp_write_approval({"pull_report": report})
        done, total = claimed
        if done >= total:
            self._spp_finish_pull()
        notify_progress(self.payroll_id)
        return f"{len(lines)} lines from {len(payments)} payments"

    def _spp_pull_applied(self, number):
        return number in (self.pull_chunks_applied or [])

    def _spp_claim_pull_chunk(self, number):
        """Mark chunk ``number`` applied: (chunks done, chunk count), or None
        when another run of its job already applied it."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_reconciliation
                   SET pull_chunks_applied =
                           COALESCE(pull_chunks_applied, '[]'::jsonb)
                           || to_jsonb(%(n)s::int),
                       pull_chunks_done = COALESCE(pull_chunks_done, 0) + 1
                 WHERE id = %(id)s
                   AND NOT COALESCE(pull_chunks_applied, '[]'::jsonb)
                           @> to_jsonb(%(n)s::int)
             RETURNING pull_chunks_done, pull_chunk_count
                """,
                n=number,
                id=self.id,
            )
        )
        row = self.env.cr.fetchone()
        self.invalidate_recordset(
            ["pull_chunks_applied", "pull_chunks_done", "pull_progress"]
        )
        return row

    def _spp_add_pull_lines(self, lines, fsp_id):
        """Number ``lines`` after those of the chunks before (the batch's row
        is locked by _spp_claim_pull_chunk) and COPY them in. The count is
        kept on the batch: a MAX(row_no) over its lines would read every line
        recorded so far, once per chunk. A batch pulled before the count
        existed starts from that MAX, once."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_reconciliation
                   SET pull_line_count = COALESCE(
                           pull_line_count,
                           (SELECT MAX(row_no) FROM spp_reconciliation_line
                             WHERE reconciliation_id = %(id)s),
                           0) + %(n)s
                 WHERE id = %(id)s
             RETURNING pull_line_count - %(n)s
                """,
                id=self.id,
                n=len(lines),
            )
        )
        first = self.env.cr.fetchone()[0] + 1
        self.invalidate_recordset(["pull_line_count"])
        for row_no, line in enumerate(lines, first):
            line.row = row_no
        if lines:
            self._spp_insert_lines(lines, fsp_id)

    def _spp_finish_pull(self):
        """The last chunk has answered: the batch is submitted for acceptance,
        or, when the FSPs reported nothing new, closed (cleared) as it is."""
        summary = dict(self._spp_summarize(), pull=self.pull_report or {})
        empty = not self.pull_line_count
        self._spp_write_approval(
            {"summary": summary, "pull_state": "done", "cleared": empty}
        )
        if not empty:
            self.action_submit()


def _line(payment_id, outcome, amount):
    """The reconciliation line of one reported outcome (None for an FSP that
    does not know either: that stays for the status query)."""
    kind = LINE_OUTCOME.get(outcome.state)
    if kind is None:
        return None
    paid = outcome.amount if outcome.state == states.PAID else None
    if paid is not None and money.compare(paid, amount) < 0:
        kind = "partial"
    return Line(
        row=0,
        payment_id=payment_id,
        outcome=kind,
        paid_amount=paid,
        receipt=outcome.receipt or "",
        reason=(outcome.reason or outcome.raw_status or "")[:250],
        reason_code=outcome.reason_code,
        note=outcome.raw_status or "",
    )
