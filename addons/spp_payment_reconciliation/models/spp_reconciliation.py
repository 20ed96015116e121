# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Reconciliation batches: outcomes reported by an FSP (a file, an API pull, a
payment point sync), applied to the payments only once a checker accepts them."""

import json
import operator
from decimal import Decimal

from spp_payment_core import states
from spp_payment_core.reconcile import NOT_PAYING_STATES

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import (
    DerivedMany2one,
    bulk_work_mem,
    copy_column,
    copy_repeated_values,
    copy_rows,
    copy_stream,
    copy_text,
    copy_values,
    exchange_difference_sql,
    fsp_issued_sql,
    is_guarded_write,
    refresh_statistics,
    refuse_fields,
    to_program_sql,
)

LINE_OUTCOMES = [
    ("paid", "Paid"),
    ("partial", "Paid Partly"),
    ("failed", "Failed"),
    ("rejected", "Rejected"),
    ("reversed", "Reversed"),
    ("processing", "Still Processing"),
    # A success for a payment we had failed, rejected or reversed: never applied,
    # recorded as an overpayment when the batch is accepted.
    ("double", "Suspected Double Payment"),
    ("skipped", "Skipped"),
]
# Batch source -> source of the overpayments its lines reveal.
OVERPAYMENT_SOURCE = {"file": "file_row", "api": "api_pull", "ppm": "payment_point"}
# Outcome of a line -> payment state it moves the payment to.
OUTCOME_STATE = {
    "paid": states.PAID,
    "partial": states.PAID,
    "failed": states.FAILED,
    "rejected": states.REJECTED,
    "reversed": states.REVERSED,
    "processing": states.PROCESSING,
}


# The columns a batch's lines are stored with, in bulk (COPY or INSERT).
LINE_COLUMNS = (
    "reconciliation_id, fsp_id, payment_id, row_no, outcome, paid_amount, "
    "paid_date, receipt, reason_code, reason, extra, note"
)


class SppReconciliation(models.Model):
    _name = "spp.reconciliation"
    _inherit = ["spp.approval.mixin"]
    _description = "Reconciliation Batch"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    source = fields.Selection(
        [("file", "File"), ("api", "API"), ("ppm", "Payment Point")],
        required=True,
        readonly=True,
    )
    program_id = fields.Many2one(
        "spp.program", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    payroll_id = fields.Many2one("spp.payroll", readonly=True, index=True)
    fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True, index=True)
    file_name = fields.Char(readonly=True)
    file_sha256 = fields.Char(string="File SHA-256", readonly=True, copy=False)
    attachment_id = fields.Many2one("ir.attachment", readonly=True)
    line_ids = fields.One2many("spp.reconciliation.line", "reconciliation_id")
    line_count = fields.Integer(compute="_compute_line_count")
    summary = fields.Json(readonly=True)
    summary_html = fields.Html(compute="_compute_summary_html", sanitize=True)
    applied_date = fields.Datetime(readonly=True, copy=False)
    cleared = fields.Boolean(
        readonly=True, help="Rejected: its lines were deleted, pull or import again."
    )

    # A file is reconciled once per FSP; rejection frees it (see _on_spp_rejected).
    _one_batch_per_file = models.UniqueIndex(
        "(fsp_id, file_sha256) WHERE file_sha256 IS NOT NULL",
        "This file has already been imported for this FSP.",
    )

    def _compute_line_count(self):
        counts = dict(
            self.env["spp.reconciliation.line"]._read_group(
                [("reconciliation_id", "in", self.ids)],
                ["reconciliation_id"],
                ["__count"],
            )
        )
        for batch in self:
            batch.line_count = counts.get(batch, 0)

    @api.depends("summary")
    def _compute_summary_html(self):
        for batch in self:
            batch.summary_html = self.env["ir.qweb"]._render(
                "spp_payment_reconciliation.reconciliation_summary",
                {"summary": batch.summary or {}},
            )

    # Creation -------------------------------------------------------------

    @api.model
    def _spp_create_batch(self, vals, lines, **summary):
        """A batch and its lines (spp_payment_core.reconcile.Line), inserted in
        bulk; ``summary`` adds the source's own figures (file, pull) to the
        line counts."""
        batch = self._spp_new_batch(vals, len(lines))
        batch._spp_insert_lines(lines)
        batch._spp_write_summary(summary)
        return batch

    @api.model
    def _spp_new_batch(self, vals, line_count):
        """The batch of ``vals``, still without its ``line_count`` lines."""
        self.check_access("create")
        # The summary's join and sort over a million lines: in memory, no JIT.
        bulk_work_mem(self.env.cr, line_count)
        return self.create(vals)

    def _spp_write_summary(self, summary):
        """The line counts, once every line is in, with the source's figures."""
        self._spp_write_approval({"summary": dict(self._spp_summarize(), **summary)})

    def _spp_action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def _spp_insert_lines(self, lines, fsp_id=None):
        """COPY ``lines`` (spp_payment_core.reconcile.Line) into the batch.
        ``fsp_id``: the FSP they all come from, when the batch has several."""
        self._spp_insert_line_chunks([lines], fsp_id)

    def _spp_insert_line_chunks(self, chunks, fsp_id=None):
        """COPY the lines of ``chunks`` (lists of Lines, e.g. each checked just
        before) into the batch: the text of a chunk is built while PostgreSQL
        stores the one before."""
        self.ensure_one()
        fsp_id = self.fsp_id.id or fsp_id
        inserted = 0

        def texts():
            nonlocal inserted
            for lines in chunks:
                inserted += len(lines)
                yield self._spp_line_copy_text(lines, fsp_id)

        self.env.flush_all()
        copy_stream(self.env.cr, f"spp_reconciliation_line ({LINE_COLUMNS})", texts())
        self._spp_lines_inserted(inserted, fsp_id)

    def _spp_insert_line_rows(self, rows):
        """INSERT the batch's lines from the query ``rows`` (SQL giving the
        columns of LINE_COLUMNS, the batch's id first), in its order; returns
        [(outcome, paid amount as text or None, count of lines)]."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH inserted AS (
                    INSERT INTO spp_reconciliation_line (%s) %s
                 RETURNING outcome, paid_amount
                )
                SELECT outcome, paid_amount::text, COUNT(*)
                  FROM inserted GROUP BY outcome, paid_amount
                """,
                SQL(LINE_COLUMNS),
                rows,
            )
        )
        outcomes = self.env.cr.fetchall()
        self._spp_lines_inserted(sum(n for *_key, n in outcomes), self.fsp_id.id)
        return outcomes

    def _spp_lines_inserted(self, inserted, fsp_id):
        """After ``inserted`` lines went in by SQL: statistics, FSPs, caches."""
        refresh_statistics(self.env.cr, "spp_reconciliation_line", inserted)
        if not fsp_id:
            self.env.cr.execute(
                SQL(
                    "UPDATE spp_reconciliation_line l SET fsp_id = p.fsp_id "
                    "FROM spp_payment p WHERE p.id = l.payment_id "
                    "AND l.reconciliation_id = %s",
                    self.id,
                )
            )
        self.env["spp.reconciliation.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])

    def _spp_line_copy_text(self, lines, fsp_id):
        """COPY's text of ``lines``, in the column order of LINE_COLUMNS."""
        # Column by column: a million lines are read once per attribute, in
        # C-speed passes (measured 2.3 s of Python per million a line at a time).
        payment_ids, rows, outcomes, amounts, dates, *texts = (
            list(map(getter, lines))
            for getter in map(
                operator.attrgetter,
                (
                    "payment_id",
                    "row",
                    "outcome",
                    "paid_amount",
                    "paid_date",
                    "receipt",
                    "reason_code",
                    "reason",
                    "note",
                ),
            )
        )
        extras = [json.dumps(line.extra) if line.extra else None for line in lines]
        constant = [f"{self.id}\t{copy_text(fsp_id or None)}"] * len(lines)
        return copy_rows(
            [
                constant,
                *map(copy_values, (payment_ids, rows)),
                outcomes,
                copy_values(amounts),
                copy_repeated_values(dates),
                *map(copy_column, texts[:3]),
                copy_column(extras),
                copy_column(texts[3]),
            ]
        )

    def _spp_summarize(self):
        """Counts and amounts per outcome, and per FSP, channel and outcome (a
        pull spans several FSPs), from one pass over the lines; payments paid
        in another currency than the program's also per FSP currency, with
        the exchange difference accepting the batch records."""
        self.ensure_one()
        fx = SQL("p.fsp_rate IS NOT NULL")
        paid = SQL("l.outcome IN ('paid', 'partial')")
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(f.name, '-'), p.channel, l.outcome, COUNT(*),
                       COALESCE(SUM(p.amount), 0)::text,
                       COALESCE(SUM(l.paid_amount), 0)::text,
                       CASE WHEN %(fx)s THEN p.fsp_currency_id END,
                       (SUM(p.fsp_amount) FILTER (WHERE %(fx)s))::text,
                       (SUM(%(difference)s) FILTER (WHERE %(fx)s AND %(paid)s))::text,
                       (SUM(l.paid_amount) FILTER (WHERE %(fx)s))::text
                  FROM spp_reconciliation_line l
                  JOIN spp_payment p ON p.id = l.payment_id
             LEFT JOIN spp_fsp f ON f.id = p.fsp_id
             LEFT JOIN res_currency pc ON pc.id = p.currency_id
                 WHERE l.reconciliation_id = %(batch)s
              -- Columns, not the expressions of the SELECT: the planner
              -- cannot tell how many groups an expression makes, takes a
              -- million and sorts the million lines to aggregate them (1.6 s
              -- against 0.75 s hashed, measured); the few groups that share
              -- a key of the SELECT are merged below.
              GROUP BY f.name, p.channel, l.outcome, p.fsp_currency_id, %(fx)s
                """,
                fx=fx,
                paid=paid,
                difference=exchange_difference_sql(
                    SQL("COALESCE(l.paid_amount, p.fsp_amount)"),
                    rounding=SQL("pc.rounding"),
                ),
                batch=self.id,
            )
        )
        # Sums as text, added as Decimals: numeric results reach Python as
        # floats, and floats added per group are no longer exact.
        rows = _merged_summary_rows(self.env.cr.fetchall())
        by_outcome, by_currency = {}, {}
        for _fsp, _channel, outcome, n, issued, paid_total, *fx_row in sorted(
            rows, key=lambda r: r[2]
        ):
            known = by_outcome.setdefault(outcome, [0, Decimal(0), Decimal(0)])
            known[0] += n
            known[1] += issued
            known[2] += paid_total
            currency, fsp_issued, difference, fsp_paid = fx_row
            if currency:
                figures = by_currency.setdefault(
                    currency, [0, Decimal(0), Decimal(0), Decimal(0), Decimal(0)]
                )
                figures[0] += n
                figures[1] += issued
                figures[2] += Decimal(fsp_issued or 0)
                figures[3] += Decimal(fsp_paid or 0)
                figures[4] += Decimal(difference or 0)
        currencies = self.env["res.currency"].browse(list(by_currency))
        names = {c.id: c.name for c in currencies.sudo()}
        return {
            "lines": sum(n for n, _issued, _paid in by_outcome.values()),
            "by_outcome": {
                outcome: {"count": n, "issued": str(issued), "paid": str(paid)}
                for outcome, (n, issued, paid) in by_outcome.items()
            },
            "by_fsp_channel": [
                {
                    "fsp": fsp,
                    "channel": channel,
                    "outcome": outcome,
                    "count": n,
                    "issued": str(issued),
                }
                for fsp, channel, outcome, n, issued, *_rest in rows
            ],
            # Paid amounts are the FSP's, in its currency.
            "by_fsp_currency": [
                {
                    "currency": names[currency],
                    "count": n,
                    "issued": str(issued),
                    "fsp_issued": str(fsp_issued),
                    "fsp_paid": str(fsp_paid),
                    "exchange_difference": str(difference),
                }
                for currency, (n, issued, fsp_issued, fsp_paid, difference) in sorted(
                    by_currency.items()
                )
            ],
        }

    # Maker-checker --------------------------------------------------------

    def _spp_check_can_submit(self):
        if self.cleared or not self.line_ids[:1]:
            raise UserError(self.env._("%s has no lines to accept.", self.name))

    def _on_spp_approved(self):
        self._spp_apply()

    def unlink(self):
        # The lines' cascade, without the foreign key it would take.
        self.check_access("unlink")
        self._spp_delete_lines()
        return super().unlink()

    def _spp_delete_lines(self):
        self.env.cr.execute(
            SQL(
                "DELETE FROM spp_reconciliation_line WHERE reconciliation_id = ANY(%s)",
                list(self.ids),
            )
        )
        self.env["spp.reconciliation.line"].invalidate_model()

    def _on_spp_rejected(self):
        """A rejected batch keeps its record for audit, but loses its lines and
        frees its file, so the corrected file or a new pull can come in."""
        self._spp_delete_lines()
        self._spp_write_approval({"cleared": True, "file_sha256": False})

    def write(self, vals):
        """Batches are written by imports and pulls, never edited by hand: what a
        checker accepts is exactly what the FSP reported."""
        if not is_guarded_write("approval"):
            edited = [n for n in vals if not n.startswith(("message_", "activity_"))]
            refuse_fields(
                edited,
                self.env._(
                    "Reconciliation batches cannot be edited (fields: %s); "
                    "reject the batch and import or pull again.",
                ),
            )
        return super().write(vals)

    # Applying -------------------------------------------------------------

    def _spp_apply(self):
        """Apply every line now, in this transaction: a batch of one slice, or
        one a caller needs applied before it goes on (tests, PPM sync)."""
        self._spp_check_not_applied()
        self._spp_finish_apply(self._spp_apply_lines())

    def _spp_check_not_applied(self):
        self.ensure_one()
        if self.applied_date:
            raise UserError(self.env._("%s is already applied.", self.name))

    def _spp_apply_lines(self, lines=None):
        """Move every payment named by a line (or by the lines with ids in the
        range ``lines`` = (first, last): one slice), in one set-based pass per
        outcome. A line whose payment has since reached another outcome is
        skipped, and says so: a reply is never applied twice. Returns the ids
        of the payrolls the lines settled."""
        payment = self.env["spp.payment"].sudo()
        # Every step below joins the batch's lines to their payments: with
        # PostgreSQL's defaults their hashes spill to disk and JIT compiles
        # each statement (3.6 s measured for one at 200,000 lines).
        bulk_work_mem(self.env.cr, (self.summary or {}).get("lines", 0))
        groups = self._spp_classify_lines(lines)
        self._spp_refuse_foreign_lines(groups)
        self._spp_record_overpayments(groups)
        moving, stale, payroll_ids = self._spp_sort_lines(groups)
        reason = self.env._("Reconciliation %s", self.name)
        # The payrolls' status is derived once, at the end, not after each
        # transition (each would find the payrolls of its payments again).
        payment = payment.with_context(spp_payroll_status_later=True)
        for target in dict.fromkeys(OUTCOME_STATE.values()):
            if target not in moving:
                continue
            # Receipts, dates, amounts and reasons go in with the state change.
            getattr(payment.browse(moving[target]), f"_set_{target}")(
                reason=reason, details=self._spp_details(lines)
            )
        self._spp_mark_stale_lines(stale)
        return payroll_ids

    def _spp_finish_apply(self, payroll_ids):
        """Every line is applied: the batch is, and the payrolls ``payroll_ids``
        it settled are reconciled. Extend for what follows a whole batch
        (accounting, registry flags)."""
        self._spp_write_approval({"applied_date": fields.Datetime.now()})
        self._spp_mark_payrolls_reconciled(payroll_ids)

    def _spp_mark_payrolls_reconciled(self, payroll_ids):
        """The payrolls ``payroll_ids`` whose payments this accepted batch
        settled, and its own: reconciled now, their status derived again (one
        pass each)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_payroll pr SET reconciled_date = now() at time zone 'utc'
                 WHERE pr.id = %(payroll)s OR pr.id = ANY(%(payrolls)s)
             RETURNING pr.id
                """,
                payroll=self.payroll_id.id or None,
                payrolls=list(payroll_ids),
            )
        )
        payrolls = self.env["spp.payroll"].browse(
            [row[0] for row in self.env.cr.fetchall()]
        )
        payrolls.invalidate_recordset(["reconciled_date"])
        payrolls._spp_refresh_status()

    def _spp_lines_where(self, lines=None):
        """The batch's lines ``l``, or those of the id range ``lines``."""
        where = SQL("l.reconciliation_id = %s", self.id)
        if lines:
            where = SQL("%s AND l.id BETWEEN %s AND %s", where, *lines)
        return where

    def _spp_classify_lines(self, lines=None):
        """One pass over the batch's lines, joined to their payments and current
        attempts: groups of (verdict, outcome, payment state, payroll) with their
        payment ids, and the line ids of the few lines a verdict other than
        ``apply`` concerns. Verdicts, the first that holds: ``foreign`` (sent
        through another FSP, or never sent), ``double`` (a success for a
        payment we do not mean to pay), ``excess`` (paid above the issued
        amount: applied, the excess recorded). A million lines fall in a
        handful of groups; each check below then writes only what it found
        instead of joining the whole batch again (four joins of a million
        lines became one)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT verdict, outcome, state, payroll_id, array_agg(payment_id),
                       array_agg(line_id) FILTER (WHERE verdict <> 'apply')
                  FROM (SELECT CASE WHEN l.fsp_id IS NOT NULL
                                     AND a.fsp_id IS DISTINCT FROM l.fsp_id
                                    THEN 'foreign'
                                    WHEN %(double)s THEN 'double'
                                    WHEN l.outcome = 'paid'
                                     AND l.paid_amount > %(issued)s THEN 'excess'
                                    ELSE 'apply' END AS verdict,
                               l.outcome, p.state, p.payroll_id, l.payment_id,
                               l.id AS line_id
                          FROM spp_reconciliation_line l
                          JOIN spp_payment p ON p.id = l.payment_id
                     LEFT JOIN spp_payment_attempt a ON a.id = p.current_attempt_id
                         WHERE %(lines)s AND l.outcome <> 'skipped') classified
                 GROUP BY verdict, outcome, state, payroll_id
                """,
                double=_double_sql(),
                issued=fsp_issued_sql(),
                lines=self._spp_lines_where(lines),
            )
        )
        return self.env.cr.fetchall()

    def _spp_refuse_foreign_lines(self, groups):
        """A reply settles only payments whose current attempt went through the
        FSP that replied: the other lines are skipped, each saying why (bank A
        cannot settle what was sent through bank B)."""
        line_ids = _line_ids(groups, "foreign")
        if not line_ids:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_reconciliation_line l
                   SET outcome = 'skipped',
                       note = left(CASE WHEN a.id IS NULL
                           THEN 'refused: payment never sent, nothing to settle'
                           ELSE 'refused: sent through '
                                || COALESCE((SELECT name FROM spp_fsp
                                              WHERE id = a.fsp_id), '?')
                                || ', not '
                                || COALESCE((SELECT name FROM spp_fsp
                                              WHERE id = l.fsp_id), '?')
                           END, 250)
                  FROM spp_payment p
             LEFT JOIN spp_payment_attempt a ON a.id = p.current_attempt_id
                 WHERE l.id = ANY(%s) AND p.id = l.payment_id
                """,
                line_ids,
            )
        )
        self.env["spp.reconciliation.line"].invalidate_model(["outcome", "note"])

    def _spp_record_overpayments(self, groups):
        """Successes the batch reports that we did not mean to pay, recorded as
        overpayment receivables: a paid line for a payment now failed,
        rejected, reversed or cancelled (or already marked a suspected double
        at import) is skipped and recorded in full; a paid amount above the
        issued one is applied and its excess recorded."""
        line_ids = _line_ids(groups, "double", "excess")
        if not line_ids:
            return
        source = OVERPAYMENT_SOURCE.get(self.source, "file_row")
        double = _double_sql()
        rows = SQL(
            """
            SELECT p.id, p.current_attempt_id,
                   CASE WHEN %(double)s THEN 'double' ELSE 'excess' END,
                   %(source)s,
                   CASE WHEN %(double)s THEN COALESCE(%(paid)s, p.amount)
                        ELSE %(paid)s - p.amount END,
                   p.state, l.outcome, NULLIF(l.receipt, ''),
                   'spp.reconciliation.line', l.id,
                   CASE WHEN %(double)s
                        THEN 'success reported for a ' || p.state || ' payment'
                        ELSE 'paid ' || l.paid_amount || ' for ' || %(issued)s
                             || ' issued' END
              FROM spp_reconciliation_line l
              JOIN spp_payment p ON p.id = l.payment_id
             WHERE l.id = ANY(%(lines)s)
            """,
            double=double,
            # Lines report the FSP's currency; receivables are in the program's.
            paid=to_program_sql(SQL("l.paid_amount")),
            issued=fsp_issued_sql(),
            source=source,
            lines=line_ids,
        )
        self.env["spp.payment.overpayment"].sudo()._spp_record_sql(rows)
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_reconciliation_line l
                   SET outcome = 'skipped',
                       note = 'suspected double payment: payment was ' || p.state
                  FROM spp_payment p
                 WHERE l.id = ANY(%s) AND p.id = l.payment_id AND %s
                """,
                _line_ids(groups, "double"),
                double,
            )
        )
        self.env["spp.reconciliation.line"].invalidate_model(["outcome", "note"])

    def _spp_sort_lines(self, groups):
        """({target state: payment ids to move}, [(payment ids, state found)]
        of lines that can no longer apply, {payroll ids of the other lines})
        from the groups of _spp_classify_lines: refused and double lines were
        skipped, an excess is applied."""
        moving, stale, payroll_ids = {}, [], set()
        for verdict, outcome, state, payroll_id, ids, _line_ids in groups:
            if verdict not in ("apply", "excess"):
                continue
            target = OUTCOME_STATE[outcome]
            if states.is_allowed(state, target):
                moving.setdefault(target, []).extend(ids)
            elif state != target:
                stale.append((ids, state))
                continue
            if payroll_id:
                payroll_ids.add(payroll_id)
        return moving, stale, payroll_ids

    def _spp_details(self, lines=None):
        """The reply's data per payment, in the shape _spp_write_state reads."""
        return SQL(
            """
            SELECT l.payment_id AS id, l.paid_amount,
                   l.paid_date::timestamp AS paid_date, l.receipt AS external_ref,
                   NULLIF(concat_ws(' ', l.reason_code, l.reason), '')
                       AS status_reason
              FROM spp_reconciliation_line l
             WHERE %s AND l.outcome <> 'skipped'
            """,
            self._spp_lines_where(lines),
        )

    def _spp_mark_stale_lines(self, stale):
        """Lines whose payment could not move (it reached an outcome since the
        import) become skipped, with the state found."""
        for ids, state in stale:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE spp_reconciliation_line
                       SET outcome = 'skipped', note = %s
                     WHERE reconciliation_id = %s AND payment_id = ANY(%s)
                    """,
                    f"not applied: payment was {state}",
                    self.id,
                    ids,
                )
            )
        if stale:
            self.env["spp.reconciliation.line"].invalidate_model(["outcome", "note"])


def _merged_summary_rows(groups):
    """The rows of _spp_summarize's groups, one per (FSP, channel, outcome,
    FSP currency), in that order, with their sums as Decimals (None: no
    payment in another currency)."""
    merged = {}
    for fsp, channel, outcome, n, *sums in groups:
        currency = sums.pop(2)
        row = merged.setdefault((fsp, channel, outcome, currency), [0] + [None] * 5)
        row[0] += n
        for position, value in enumerate(sums, start=1):
            if value is not None:
                row[position] = (row[position] or Decimal(0)) + Decimal(value)
    return [
        (fsp, channel, outcome, n, issued, paid, currency, *fx_sums)
        for (fsp, channel, outcome, currency), (n, issued, paid, *fx_sums) in sorted(
            merged.items(),
            key=lambda item: (*item[0][:3], item[0][3] is None, item[0][3] or 0),
        )
    ]


def _double_sql():
    """A line reporting a success for payment ``p`` that we do not mean to pay."""
    return SQL(
        "(l.outcome = 'double' OR (l.outcome IN ('paid', 'partial') "
        "AND p.state = ANY(%s)))",
        sorted(NOT_PAYING_STATES),
    )


def _line_ids(groups, *verdicts):
    """The line ids of the groups of _spp_classify_lines with ``verdicts``."""
    return [
        line_id
        for verdict, *_rest, line_ids in groups
        if verdict in verdicts
        for line_id in line_ids
    ]


class SppReconciliationLine(models.Model):
    _name = "spp.reconciliation.line"
    _description = "Reconciliation Line"
    _order = "reconciliation_id, row_no, id"
    _log_access = False

    # No foreign keys (see DerivedMany2one): a reply of a million lines would
    # pay a million key checks per key. Lines are written by code only, for a
    # batch it just created (deleted with it, see SppReconciliation.unlink) and
    # payments that, having been sent, can no longer be deleted.
    reconciliation_id = DerivedMany2one(
        "spp.reconciliation", required=True, index=True, ondelete="cascade"
    )
    payment_id = DerivedMany2one(
        "spp.payment", required=True, index=True, ondelete="cascade"
    )
    row_no = fields.Integer(string="Row")
    outcome = fields.Selection(LINE_OUTCOMES, required=True)
    paid_amount = fields.Float(digits=(16, 2))
    paid_date = fields.Date()
    receipt = fields.Char()
    reason_code = fields.Char()
    reason = fields.Char()
    extra = fields.Json(string="Extra Columns")
    note = fields.Char()
    # Read-only context for the search over reconciled payments.
    payment_reference = fields.Char(related="payment_id.reference")
    payment_amount = fields.Monetary(
        related="payment_id.amount", currency_field="currency_id"
    )
    # What the FSP was asked to pay, in its currency (the paid amount's).
    payment_fsp_amount = fields.Monetary(
        related="payment_id.fsp_amount",
        string="FSP Amount",
        currency_field="fsp_currency_id",
    )
    fsp_currency_id = fields.Many2one(related="payment_id.fsp_currency_id")
    payment_state = fields.Selection(related="payment_id.state")
    currency_id = fields.Many2one(related="payment_id.currency_id")
    partner_id = fields.Many2one(related="payment_id.partner_id")
    # The payment's FSP (a pull spans several), written with the line.
    fsp_id = DerivedMany2one("spp.fsp", string="FSP", readonly=True)
    source = fields.Selection(related="reconciliation_id.source")

    def write(self, vals):
        """Lines are evidence: once the batch is submitted they do not change."""
        if any(r.reconciliation_id.approval_state != "draft" for r in self):
            raise UserError(self.env._("The lines of a submitted batch are locked."))
        return super().write(vals)
