# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Import of an FSP's reply: a CSV/XLSX file, an ISO 20022 pain.002 status report,
a camt.054 notification, or a camt.053 statement / camt.052 account report of the
FSP's account. The whole file is checked first and every bad row is explained;
only a clean file becomes a reconciliation batch, which changes no payment until
a Finance Manager other than the uploader accepts it. A statement also records
the FSP's balance and is kept on the FSP."""

import base64
import hashlib
import io
import json
from decimal import Decimal
from typing import NamedTuple

import psycopg2
from markupsafe import Markup, escape
from spp_payment_core import iso20022, reconcile, tables
from spp_payment_core.bulk import no_cycle_collection
from spp_payment_core.phone import normalize_msisdn

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import (
    bulk_work_mem,
    copy_column,
    copy_repeated_values,
    copy_rows,
    copy_stream,
    copy_values,
    planner_settings,
    reopen_wizard,
)

SHOWN_ERRORS = 500
# Most cases (payment state and issued amount x outcome and amount reported) a
# reply is stored in bulk with: each is decided in Python (about 5 us).
MAX_CASES = 100_000
# From this many references on, the payroll is read whole (see _spp_lookup_references).
BULK_LOOKUP = 10_000
ISO_OUTCOMES = {
    "paid": "paid",
    "failed": "failed",
    "rejected": "rejected",
    "reversed": "reversed",
    "accepted": "processing",
    "processing": "processing",
}
# Message (by root namespace) -> import kind.
STATEMENT_KINDS = {"camt.053": "camt053", "camt.052": "camt052"}
ISO_KINDS = {"pain.002": "pain002", "camt.054": "camt054", **STATEMENT_KINDS}
SHOWN_UNMATCHED = 200


class SppReconciliationImport(models.TransientModel):
    _name = "spp.reconciliation.import"
    _description = "Import FSP Reply"

    # Required for a reply (see _spp_scope); a statement of the FSP's account
    # may confirm payments of several payrolls, one batch each.
    payroll_id = fields.Many2one(
        "spp.payroll", domain=[("approval_state", "=", "approved")]
    )
    fsp_id = fields.Many2one(
        "spp.fsp",
        string="FSP",
        required=True,
        domain=[("provider", "=", "file")],
    )
    data = fields.Binary(string="File", attachment=False)
    file_name = fields.Char()
    kind = fields.Selection(
        [
            ("table", "CSV / XLSX reply"),
            ("pain002", "ISO 20022 pain.002 status report"),
            ("camt054", "ISO 20022 camt.054 notification"),
            ("camt053", "ISO 20022 camt.053 bank statement"),
            ("camt052", "ISO 20022 camt.052 account report"),
        ],
        readonly=True,
    )
    state = fields.Selection(
        [("new", "New"), ("checked", "Checked")], default="new", readonly=True
    )
    error_count = fields.Integer(readonly=True)
    result_html = fields.Html(readonly=True, sanitize=False)

    @api.onchange("payroll_id")
    def _onchange_payroll_id(self):
        fsps = self.payroll_id.payment_ids.fsp_id.filtered(
            lambda f: f.provider == "file"
        )
        if len(fsps) == 1:
            self.fsp_id = fsps

    # Actions --------------------------------------------------------------

    def action_check(self):
        """Validate the whole file and show the result; nothing is written."""
        self.ensure_one()
        raw, _sha = self._spp_raw()
        kind, lines, errors, summary = self._spp_validate(raw)
        self.write(
            {
                "kind": kind,
                "state": "checked",
                "error_count": len(errors),
                "result_html": self._spp_result_html(errors, summary),
            }
        )
        return self._spp_reopen()

    def action_import(self):
        """Create the batch from a clean file, and submit it for acceptance.
        An ISO 20022 file from the job threshold on is imported in a queue job
        (spp.payment.file.import.job), whose form follows it."""
        self.ensure_one()
        self.env["spp.reconciliation"].check_access("create")
        raw, sha = self._spp_raw()
        self._spp_check_not_imported(sha)
        try:
            kind = _sniff(raw)
        except iso20022.Iso20022Error:
            kind = None  # explained by _spp_validate
        jobs = self.env["spp.payment.file.import.job"]
        if (
            kind in ISO_KINDS.values()
            and not self.env.context.get("spp_import_job")
            and len(raw) >= jobs._spp_threshold()
        ):
            if kind not in STATEMENT_KINDS.values():
                self._spp_scope()  # a reply is for a payroll: said now
            return jobs._spp_enqueue(self, raw, kind)
        if kind in STATEMENT_KINDS.values():
            return self._spp_import_statement(raw, kind)
        payroll_id, program, _where = self._spp_scope()
        vals = {
            "name": self.env._(
                "%(fsp)s reply %(file)s", fsp=self.fsp_id.name, file=self.file_name
            ),
            "source": "file",
            "program_id": program.id,
            "payroll_id": payroll_id,
            "fsp_id": self.fsp_id.id,
            "file_name": self.file_name,
            "file_sha256": sha,
        }
        if kind == "table":
            batch = self._spp_store_table(raw, vals)
        else:
            batch = self._spp_store_checked(raw, vals)
        batch._spp_attach_file(raw, self.file_name)
        batch.action_submit()
        return batch._spp_action_open()

    def _spp_store_checked(self, raw, vals):
        """The batch of a reply checked whole first (ISO 20022 messages)."""
        _kind, lines, errors, summary = self._spp_validate(raw)
        self._spp_progress(50.0, self.env._("Checked"))
        if errors:
            raise self._spp_refusal(errors)
        return self.env["spp.reconciliation"]._spp_create_batch(
            vals, lines, file=summary
        )

    def _spp_store_table(self, raw, vals):
        """The batch of a CSV/XLSX reply. A reply whose every row reads
        cleanly is matched and stored in bulk by PostgreSQL
        (_spp_store_bulk_reply); any other is checked row by row
        (_spp_store_checked_table), which explains every bad row."""
        try:
            batch, table = self._spp_in_bulk(
                raw,
                self.file_name or "upload",
                lambda reply: self._spp_store_bulk_reply(reply, vals),
            )
            check = None if batch else self._spp_check_table(table)
        except tables.TableError as error:
            raise self._spp_refusal([error]) from error
        return batch or self._spp_store_checked_table(check, vals)

    def _spp_in_bulk(self, raw, name, use):
        """(``use``'s result for the reply ``raw`` to take in bulk, or None;
        the reply's tables.Table, or None when not read). The reply is read by
        PostgreSQL's COPY when it can be (_spp_copied_reply), else here
        (_spp_bulk_reply); ``use`` gives None when a row needs the row-by-row
        check. A reply COPY read is then read here only to be checked."""
        copied = self._spp_copied_reply(raw)
        if copied:
            result = use(copied)
            if result is not None:
                return result, None
        table = self._spp_read_reply(raw, name)
        bulk = self._spp_bulk_reply(table) if copied is None else None
        return (use(bulk) if bulk else None), table

    def _spp_copied_reply(self, raw):
        """The _BulkReply of a CSV reply PostgreSQL's COPY reads as read_table
        would (reconcile.copy_plan): its rows are copied as they are into a
        temporary table and read there, where read_table builds a million
        Python rows (most of the Odoo CPU of an import: bench_file). None
        when the reply is not one for COPY to read (read_table then reads
        it); False when COPY read it but a row needs the row-by-row check
        (an empty or repeated reference, a status with no mapping, a bad
        amount or date) or it has too many cases."""
        if not self._spp_matches_on_reference():
            return None
        template = self.fsp_id._spp_import_template()
        plan = reconcile.copy_plan(raw, template, self.fsp_id.recon_encoding or "utf-8")
        if plan is None or not self._spp_copy_raw_rows(plan.csv):
            return None
        cells = _RawCells(plan)
        drop = SQL(
            "DROP VIEW IF EXISTS spp_reply_row; DROP TABLE IF EXISTS spp_reply_raw"
        )
        read = self._spp_read_copied_cells(cells, template)
        if read is None:
            self.env.cr.execute(drop)
            return False
        readings, reported = read
        reply = self._spp_decided_reply(
            plan.csv.row_count,
            template,
            reported,
            lambda: self._spp_stage_copied(cells, template, readings),
            drop,
        )
        return reply or False

    def _spp_copy_raw_rows(self, reply):
        """Copy the rows of ``reply`` (a tables.CopyableCsv) as they are into
        the temporary table spp_reply_raw (row_no, c0, c1...); False, and
        nothing copied, when COPY finds a row with too few or too many cells
        (read_table then reads the reply)."""
        cr = self.env.cr
        names = [SQL.identifier(f"c{n}") for n in range(len(reply.header))]
        columns = SQL(", ").join(names)
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        "CREATE TEMPORARY TABLE spp_reply_raw (row_no integer "
                        # Cached: 0.4 s of a million rows' COPY without.
                        "GENERATED ALWAYS AS IDENTITY (START WITH 2 CACHE 100000), "
                        "%s) ON COMMIT DROP",
                        SQL(", ").join(SQL("%s text", name) for name in names),
                    )
                )
                copy = SQL(
                    "COPY spp_reply_raw (%s) FROM STDIN WITH (FORMAT csv, "
                    "HEADER true, DELIMITER %s, FORCE_NOT_NULL (%s))",
                    columns,
                    reply.delimiter,
                    columns,
                )
                cr._obj.copy_expert(
                    cr.mogrify(copy).decode(), io.BytesIO(reply.data), size=1 << 20
                )
        except psycopg2.DataError:
            return False
        cr.execute("ANALYZE spp_reply_raw")
        return True

    def _spp_read_copied_cells(self, cells, template):
        """(readings, reported) of the copied rows: reconcile.clean_readings
        of their distinct statuses, amounts and dates, and the (outcome,
        amount) pairs they report; None when a row needs the row-by-row check
        (an empty or repeated reference, a cell clean_readings refuses)."""
        cr = self.env.cr
        key = cells.sql(reconcile.MATCH)
        cr.execute(
            SQL(
                "SELECT 1 FROM spp_reply_raw r GROUP BY %s "
                "HAVING COUNT(*) > 1 OR %s = '' LIMIT 1",
                key,
                key,
            )
        )
        if cr.rowcount:
            return None
        status, amount = cells.sql(reconcile.STATUS), cells.sql(reconcile.AMOUNT)
        cr.execute(
            SQL("SELECT %s, %s FROM spp_reply_raw r GROUP BY 1, 2", status, amount)
        )
        pairs = cr.fetchall()
        date = cells.sql(reconcile.DATE)
        cr.execute(SQL("SELECT %s FROM spp_reply_raw r GROUP BY 1", date))
        readings = reconcile.clean_readings(
            {status for status, _amount in pairs},
            {amount for _status, amount in pairs},
            {row[0] for row in cr.fetchall()},
            template,
            fields.Date.context_today(self),
        )
        if readings is None:
            return None
        outcome_of, amount_of, _date_of = readings
        reported = {(outcome_of[status], amount_of[amount]) for status, amount in pairs}
        return readings, reported

    def _spp_stage_copied(self, cells, template, readings):
        """The copied rows as spp_reply_row (a temporary view with the columns
        of the table _spp_stage_rows fills), each distinct status, amount and
        date read once by the row-by-row check's rules (``readings``) and
        joined in by its cell."""
        outcome_of, amount_of, date_of = readings
        names = template.extra_columns
        extra = (
            SQL(
                "jsonb_build_object(%s)",
                SQL(", ").join(
                    SQL("%s::text, %s", name, cells.sql(reconcile.EXTRA + n))
                    for n, name in enumerate(names)
                ),
            )
            if names
            else SQL("NULL::jsonb")
        )
        self.env.cr.execute(
            SQL(
                """
                CREATE TEMPORARY VIEW spp_reply_row AS
                SELECT r.row_no, %(key)s AS key, st.outcome, am.amount,
                       dt.paid_date, NULLIF(%(receipt)s, '') AS receipt,
                       NULLIF(%(reason)s, '') AS reason, %(extra)s AS extra
                  FROM spp_reply_raw r
                  JOIN unnest(%(statuses)s::text[], %(outcomes)s::varchar[])
                       AS st(cell, outcome) ON st.cell = %(status)s
                  JOIN unnest(%(amount_cells)s::text[], %(amounts)s::numeric[])
                       AS am(cell, amount) ON am.cell = %(amount)s
                  JOIN unnest(%(date_cells)s::text[], %(dates)s::date[])
                       AS dt(cell, paid_date) ON dt.cell = %(date)s
                """,
                key=cells.sql(reconcile.MATCH),
                receipt=cells.sql(reconcile.RECEIPT),
                reason=cells.sql(reconcile.REASON),
                extra=extra,
                statuses=list(outcome_of),
                outcomes=list(outcome_of.values()),
                status=cells.sql(reconcile.STATUS),
                amount_cells=list(amount_of),
                amounts=list(amount_of.values()),
                amount=cells.sql(reconcile.AMOUNT),
                date_cells=list(date_of),
                dates=list(date_of.values()),
                date=cells.sql(reconcile.DATE),
            )
        )

    def _spp_store_checked_table(self, check, vals):
        """The batch of a table being checked by ``check`` (a
        reconcile.Validation), its lines stored as they are checked:
        PostgreSQL stores a chunk while the next is checked (a million rows in
        11.1-13.3 s, against 14.7-15.1 s checked then stored; bench_file). From
        the first bad row on, nothing more is stored but every row is still
        checked, so that all bad rows are explained; the savepoint then takes
        back the batch and what was stored of it."""
        with no_cycle_collection(), self.env.cr.savepoint():
            batch = self.env["spp.reconciliation"]._spp_new_batch(
                vals, len(check.table.rows)
            )
            batch._spp_insert_line_chunks(_stored_chunks(check))
            if check.errors:
                raise self._spp_refusal(check.errors)
        batch._spp_write_summary({"file": check.summary})
        return batch

    def _spp_store_bulk_reply(self, reply, vals):
        """The batch of a reply (a _BulkReply) every row of which reads
        cleanly, matched on the payment reference: its staged rows are
        matched to their payments and stored as lines by one INSERT, each case
        of (payment state, outcome, amount, issued) decided once by
        reconcile.decided_line, the rule of the row-by-row check. None, and
        nothing stored, when a row names no payment the reply may settle or
        is paid above the tolerance (the INSERT then misses its line): the
        row-by-row check explains it."""
        try:
            with self.env.cr.savepoint():
                reply.stage()
                batch, outcomes = self._spp_insert_staged_lines(
                    vals, reply.cases, reply.count, reply.settles
                )
                self.env.cr.execute(reply.drop)
        except _RowsToExplain:
            self.env.cr.execute(reply.drop)
            return None
        batch._spp_write_summary({"file": _summary_of(outcomes)})
        return batch

    def _spp_count_bulk_reply(self, reply):
        """The summary the import of ``reply`` (a _BulkReply) stores when it
        stores it in bulk (_spp_store_bulk_reply), from the same rows matched
        to the same cases, counted instead of inserted; None when a row would
        get no line (the row-by-row check then explains it). Nothing is
        stored: the staged rows are dropped."""
        reply.stage()
        outcomes = self._spp_count_cases(reply.cases, reply.settles)
        self.env.cr.execute(reply.drop)
        if sum(n for _outcome, _paid, n in outcomes) != reply.count:
            return None
        return _summary_of(outcomes)

    def _spp_bulk_reply(self, table):
        """A _BulkReply of ``table`` to match and store in bulk, or None when
        the row-by-row check must (a reply not matched on the payment
        reference, a row that does not read cleanly, too many cases)."""
        if not self._spp_matches_on_reference() or not table.rows:
            return None
        template = self.fsp_id._spp_import_template()
        clean = reconcile.clean_table(table, template, fields.Date.context_today(self))
        if clean is None:
            return None
        return self._spp_decided_reply(
            len(clean.rows),
            template,
            set(zip(clean.outcomes, clean.amounts, strict=True)),
            lambda: self._spp_stage_rows(clean, template),
            SQL("DROP TABLE IF EXISTS spp_reply_row"),
        )

    def _spp_matches_on_reference(self):
        return (self.fsp_id.recon_match_on or "reference") == "reference"

    def _spp_decided_reply(self, count, template, reported, stage, drop):
        """The _BulkReply of ``count`` rows reporting the (outcome, amount)
        pairs ``reported``, staged by ``stage()`` and dropped by ``drop``, or
        None (and ``drop`` run) when it has too many cases."""
        settles = self._spp_settles_sql()
        cases = self._spp_decided_cases(reported, template, settles)
        if cases is None:
            self.env.cr.execute(drop)
            return None
        # The join of a million staged rows to the payments: hashed in memory.
        bulk_work_mem(self.env.cr, count)
        return _BulkReply(count, settles, cases, stage, drop)

    def _spp_stage_rows(self, clean, template):
        """Copy the rows of ``clean`` into the temporary table spp_reply_row,
        a chunk built while the one before is stored."""
        cr = self.env.cr
        cr.execute(
            """
            CREATE TEMPORARY TABLE spp_reply_row (
                row_no integer, key varchar, outcome varchar, amount numeric,
                paid_date date, receipt varchar, reason varchar, extra jsonb
            ) ON COMMIT DROP
            """
        )
        names = template.extra_columns
        extras = (
            [
                json.dumps(dict(zip(names, cells, strict=True)))
                for cells in zip(*clean.extras, strict=True)
            ]
            if names
            else [None] * len(clean.rows)
        )
        columns = (
            (copy_values, clean.rows),
            (copy_column, clean.keys),
            (copy_column, clean.outcomes),
            (copy_values, clean.amounts),
            (copy_repeated_values, clean.dates),
            (copy_column, clean.receipts),
            (copy_column, clean.reasons),
            (copy_column, extras),
        )
        size = reconcile.CHUNK_ROWS

        def texts():
            for start in range(0, len(clean.rows), size):
                yield copy_rows(
                    [text(values[start : start + size]) for text, values in columns]
                )

        copy_stream(cr, "spp_reply_row", texts())
        cr.execute("ANALYZE spp_reply_row")

    def _spp_settles_sql(self):
        """SQL: payment ``p`` is one the reply may settle (of its scope, its
        program and, for a payroll's reply, its payroll)."""
        payroll_id, program, scope = self._spp_scope()
        return SQL(
            "%s AND p.program_id = %s AND (%s IS NULL OR p.payroll_id = %s)",
            scope,
            program.id,
            payroll_id or None,
            payroll_id or None,
        )

    def _spp_decided_cases(self, reported, template, settles):
        """[(state, outcome, amount, issued, Line decided)] for every case a
        row may be: each (state, issued amount) of the payments the reply may
        settle (SQL ``settles``) with each (outcome, amount) it ``reported``,
        but those that are errors. None when there are more than MAX_CASES
        (the row-by-row check then stores the reply)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT state, issued::text
                  -- Distinct amounts, not texts: 10.0 and 10.00 are one case.
                  FROM (SELECT DISTINCT p.state,
                               COALESCE(p.fsp_amount, p.amount) AS issued
                          FROM spp_payment p WHERE %s) cases
                """,
                settles,
            )
        )
        payments = self.env.cr.fetchall()
        if len(payments) * len(reported) > MAX_CASES:
            return None
        cases = []
        for state, issued in payments:
            for outcome, amount in reported:
                line = reconcile.decided_line(
                    state, outcome, amount, Decimal(issued), template
                )
                if line is not None:
                    _clear_unpaid_amounts([line])
                    cases.append((state, outcome, amount, issued, line))
        return cases

    def _spp_insert_staged_lines(self, vals, cases, count, settles):
        """(The batch of ``vals`` with a line per staged row naming a payment
        it ``settles``, in row order, as ``cases`` decided it, [(outcome,
        paid amount, line count)]);
        _RowsToExplain when a row got no line (the savepoint takes the batch
        back)."""
        batch = self.env["spp.reconciliation"]._spp_new_batch(vals, count)
        if not cases:
            raise _RowsToExplain()
        # Joined to the cases by hash: the planner prefers to sort a million
        # rows for a merge join (3.6 s against 2.6 s to the sorted rows).
        with planner_settings(self.env.cr, enable_mergejoin="off"):
            outcomes = batch._spp_insert_line_rows(
                SQL(
                    """
                    SELECT %(batch)s, %(fsp)s, m.id, m.row_no,
                           d.outcome, d.paid_amount, m.paid_date, m.receipt, NULL,
                           m.reason, m.extra, d.note
                      FROM %(matched)s
                     ORDER BY m.row_no
                    """,
                    batch=batch.id,
                    fsp=batch.fsp_id.id or None,
                    matched=self._spp_matched_rows_sql(cases, settles),
                )
            )
        if sum(n for _outcome, _paid, n in outcomes) != count:
            raise _RowsToExplain()
        return batch, outcomes

    def _spp_count_cases(self, cases, settles):
        """[(outcome, paid amount as text or None, count)] of the lines the
        staged rows would get (_spp_insert_staged_lines), none inserted."""
        if not cases:
            return []
        with planner_settings(self.env.cr, enable_mergejoin="off"):
            self.env.cr.execute(
                SQL(
                    "SELECT d.outcome, d.paid_amount::text, COUNT(*) FROM %s "
                    "GROUP BY d.outcome, d.paid_amount",
                    self._spp_matched_rows_sql(cases, settles),
                )
            )
            return self.env.cr.fetchall()

    def _spp_matched_rows_sql(self, cases, settles):
        """SQL FROM: each staged row ``m`` naming a payment it ``settles``
        (SQL), with the line ``d`` its case of ``cases`` decided (outcome,
        paid_amount, note). A row of no case (paid above the tolerance) or
        naming no such payment has none."""
        decided = SQL(
            "SELECT %s AS case_key, outcome, paid_amount, note "
            "FROM unnest(%s::varchar[], %s::varchar[], %s::numeric[], "
            "%s::numeric[], %s::varchar[], %s::numeric[], %s::varchar[]) "
            "AS d(state, reported, amount, issued, outcome, paid_amount, note)",
            _case_key(*map(SQL.identifier, ("state", "reported", "amount", "issued"))),
            *map(
                list,
                zip(
                    *(
                        (*case, line.outcome, line.paid_amount, line.note or None)
                        for *case, line in cases
                    ),
                    strict=True,
                ),
            ),
        )
        return SQL(
            """
            (SELECT s.*, p.id, %(key)s AS case_key
               FROM spp_reply_row s
               JOIN spp_payment p ON p.reference = s.key
              WHERE %(settles)s
             -- A fence: the rows meet their payments first.
             OFFSET 0) m
            -- On one key: joined on its four parts, the cases were
            -- estimated to match one row, and the reference index was
            -- probed once per row (3.8 s for a million, measured).
            JOIN (%(decided)s) d ON d.case_key = m.case_key
            """,
            decided=decided,
            key=_case_key(
                SQL("p.state"),
                SQL("s.outcome"),
                SQL("s.amount"),
                SQL("COALESCE(p.fsp_amount, p.amount)"),
            ),
            settles=settles,
        )

    def _spp_refusal(self, errors):
        """The error refusing a reply with bad rows ``errors``."""
        return UserError(
            self.env._(
                "%(n)s rows of %(file)s are wrong; nothing was imported. "
                "First: %(first)s",
                n=len(errors),
                file=self.file_name,
                first=str(errors[0]),
            )
        )

    def _spp_reopen(self):
        return reopen_wizard(self)

    def _spp_progress(self, progress, message):
        """In an import job: how far it is (else nothing to tell)."""
        job_id = self.env.context.get("spp_import_job")
        if job_id:
            self.env["spp.payment.file.import.job"].browse(job_id)._spp_write_progress(
                {"progress": progress, "progress_message": message}
            )

    # Validation ----------------------------------------------------------

    def _spp_scope(self):
        """What the reply may settle: (payroll id or False, program, SQL over
        the payments ``p`` it may name). Here a payroll's payments; a module
        paying outside payrolls (merchant settlements) extends it."""
        if not self.payroll_id:
            raise UserError(self.env._("Choose the payroll the reply is for."))
        return (
            self.payroll_id.id,
            self.payroll_id.program_id,
            SQL("p.payroll_id = %s", self.payroll_id.id),
        )

    def _spp_raw(self):
        if not self.data and not self.file_name:
            raise UserError(self.env._("Choose the file to import."))
        raw = base64.b64decode(self.data or b"")
        return raw, hashlib.sha256(raw).hexdigest()

    def _spp_check_not_imported(self, sha):
        previous = (
            self.env["spp.reconciliation"]
            .sudo()
            .search(
                [("fsp_id", "=", self.fsp_id.id), ("file_sha256", "=", sha)], limit=1
            )
        )
        if previous:
            raise UserError(
                self.env._(
                    "%(file)s was already imported on %(date)s by %(user)s as "
                    "%(batch)s: the same content is never applied twice.",
                    file=self.file_name,
                    date=previous.create_date,
                    user=previous.create_uid.name,
                    batch=previous.name,
                )
            )

    def _spp_validate(self, raw):
        """(kind, lines, errors, summary) for ``raw``; errors are TableErrors.
        The lines of a CSV/XLSX reply are None (see _spp_validate_table)."""
        name = self.file_name or "upload"
        kind = "table"
        try:
            kind = _sniff(raw)
            if kind not in STATEMENT_KINDS.values():
                self._spp_scope()  # a reply is for a payroll (or what extends it)
            if kind == "table":
                lines, errors, summary = self._spp_validate_table(raw, name)
            elif kind in STATEMENT_KINDS.values():
                plan = self._spp_statement_plan(raw, name, kind)
                lines = [line for group in plan["lines"].values() for line in group]
                errors, summary = plan["errors"], plan["summary"]
            else:
                lines, errors, summary = self._spp_validate_iso(raw, name, kind)
        except (tables.TableError, iso20022.Iso20022Error) as error:
            if not isinstance(error, tables.TableError):
                error = tables.TableError(str(error), name)
            return kind, [], [error], {}
        return kind, lines, errors, summary

    def _spp_validate_table(self, raw, name):
        """(None, errors, summary) of a CSV/XLSX reply, as its import finds
        them: counted in bulk when its import stores it in bulk
        (_spp_count_bulk_reply), else checked row by row. Its lines are not
        kept: the import reads the file again (_spp_store_table)."""
        summary, table = self._spp_in_bulk(raw, name, self._spp_count_bulk_reply)
        if summary is not None:
            return None, [], summary
        check = self._spp_check_table(table)
        with no_cycle_collection():
            for _chunk in check.chunks():
                pass
        return None, check.errors, check.summary

    def _spp_read_reply(self, raw, name):
        return tables.read_table(
            raw, name, encoding=self.fsp_id.recon_encoding or "utf-8"
        )

    def _spp_check_table(self, table):
        """The check of a CSV/XLSX reply's ``table``
        (spp_payment_core.reconcile.Validation), its payments looked up, its
        rows not yet read."""
        fsp = self.fsp_id
        template = fsp._spp_import_template()
        column = table.index(template.match_column)
        keys = {
            cells[column].strip() for _n, cells in table.rows if column < len(cells)
        }
        lookup = self._spp_lookup(fsp.recon_match_on or "reference", keys)
        payroll_id, program, _where = self._spp_scope()
        return reconcile.Validation(
            table,
            template,
            lookup,
            payroll_id,
            program.id,
            fields.Date.context_today(self),
        )

    def _spp_lookup(self, match_on, keys):
        """Match value -> Target (or list of Targets when ambiguous)."""
        if match_on == "reference":
            return self._spp_lookup_references(keys)
        _payroll_id, _program, scope = self._spp_scope()
        if match_on == "registrant":
            where = SQL("%s AND r.registrant_number = ANY(%s)", scope, list(keys))
            key_sql = SQL("r.registrant_number")
            normalized = {}
        else:
            normalized = {normalize_msisdn(k) or k: k for k in keys}
            where = SQL(
                "%s AND COALESCE(p.destination, r.phone_e164) = ANY(%s)",
                scope,
                list(normalized),
            )
            key_sql = SQL("COALESCE(p.destination, r.phone_e164)")
        partner = SQL("JOIN res_partner r ON r.id = p.partner_id")
        return self._spp_fetch_lookup(key_sql, where, partner, match_on, normalized)

    def _spp_lookup_references(self, keys):
        """A large reply names the payroll's payments: read the payroll once
        (one index range) rather than probe the reference index per row; the
        references it does not hold are looked up to say whose they are. A
        reply outside payrolls names only payments of its scope."""
        reference = SQL("p.reference")
        payroll_id, _program, scope = self._spp_scope()
        if not payroll_id:
            where = SQL("p.reference = ANY(%s) AND %s", list(keys), scope)
            return self._spp_fetch_lookup(reference, where, SQL(""), "reference", {})
        if len(keys) < BULK_LOOKUP:
            where = SQL("p.reference = ANY(%s)", list(keys))
            return self._spp_fetch_lookup(reference, where, SQL(""), "reference", {})
        lookup = self._spp_fetch_lookup(reference, scope, SQL(""), "", {})
        others = keys - lookup.keys()
        if others:
            where = SQL("p.reference = ANY(%s)", list(others))
            lookup.update(
                self._spp_fetch_lookup(reference, where, SQL(""), "reference", {})
            )
        return lookup

    def _spp_fetch_lookup(self, key_sql, where, join, match_on, normalized):
        self.env.flush_all()
        # A million rows, then a million targets: each container allocated
        # would otherwise make Python's cycle collector walk them all again
        # (1.1-1.3 s of the 2.6 s measured at 1,000,000 payments).
        with no_cycle_collection():
            return self._spp_fetch_lookup_rows(
                key_sql, where, join, match_on, normalized
            )

    def _spp_fetch_lookup_rows(self, key_sql, where, join, match_on, normalized):
        self.env.cr.execute(
            SQL(
                # The FSP's amount, in its currency: what the bank reports.
                "SELECT %s, p.id, p.payroll_id, p.program_id, "
                "COALESCE(p.fsp_amount, p.amount)::text, p.state "
                "FROM spp_payment p %s WHERE %s",
                key_sql,
                join,
                where,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return {}
        keys, ids, payrolls, programs, amounts, payment_states = zip(*rows, strict=True)
        if match_on == "phone":
            keys = [normalized.get(key, key) for key in keys]
        # A payroll has a few distinct amounts: one Decimal each; the targets
        # are built in C-speed passes, not a Python loop per payment.
        decimals = {amount: Decimal(amount) for amount in set(amounts)}
        targets = list(
            map(
                reconcile.Target._make,
                zip(
                    ids,
                    payrolls,
                    programs,
                    map(decimals.__getitem__, amounts),
                    payment_states,
                    strict=True,
                ),
            )
        )
        lookup = dict(zip(keys, targets, strict=True))
        if len(lookup) < len(targets):
            lookup = _grouped(keys, targets)
        return lookup

    def _spp_validate_iso(self, raw, name, kind):
        if kind == "pain002":
            report = iso20022.parse_pain002(raw)
            items = [
                (i.end_to_end_id, i.outcome, i.amount, None, i.reason_code, i.status)
                for i in report.items
            ]
            if not items and report.group_status == "RJCT":
                raise tables.TableError(
                    "the bank rejected the whole file (group status RJCT) and names "
                    "no payment; execute again after fixing the file",
                    name,
                )
        else:
            items = [
                (
                    n.end_to_end_id,
                    n.outcome,
                    n.amount,
                    n.booking_date,
                    n.reason_code,
                    n.status,
                )
                for n in iso20022.parse_camt054(raw)
            ]
        lookup = self._spp_lookup("reference", {item[0] for item in items if item[0]})
        lines, errors, seen = [], [], {}
        for entry, (ref, outcome, amount, booked, code, status) in enumerate(
            items, start=1
        ):
            problem, target = self._spp_iso_target(lookup, ref, seen, entry)
            if problem:
                errors.append(tables.TableError(problem, name, entry, "EndToEndId"))
                continue
            lines.append(
                _iso_line(
                    entry,
                    target,
                    ISO_OUTCOMES.get(outcome),
                    amount,
                    booked,
                    code,
                    status,
                )
            )
        summary = {"rows": len(items), "errors": len(errors)}
        return lines, errors, summary

    def _spp_iso_target(self, lookup, ref, seen, entry):
        target = lookup.get(ref) if ref else None
        if target is None:
            return f"unknown end-to-end id {ref!r}: no such payment", None
        payroll_id, program, _where = self._spp_scope()
        if target.program_id != program.id:
            return f"{ref} is a payment of another program", None
        if payroll_id and target.payroll_id != payroll_id:
            return f"{ref} is a payment of another payroll", None
        if ref in seen:
            return f"duplicate entry: {ref} already in entry {seen[ref]}", None
        seen[ref] = entry
        return "", target

    # Display --------------------------------------------------------------

    def _spp_result_html(self, errors, summary):
        summary = dict(summary)
        unmatched = summary.pop("unmatched_entries", None) or []
        if errors:
            items = Markup("").join(
                Markup("<li>%s</li>") % escape(str(e)) for e in errors[:SHOWN_ERRORS]
            )
            more = (
                Markup("<p>… and %s more.</p>") % (len(errors) - SHOWN_ERRORS)
                if len(errors) > SHOWN_ERRORS
                else ""
            )
            return Markup(
                '<div class="alert alert-danger"><b>%s</b></div><ul>%s</ul>%s'
            ) % (
                self.env._(
                    "%s problems: fix the file and check it again. Nothing "
                    "was imported.",
                    len(errors),
                ),
                items,
                more,
            )
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>")
            % (key.replace("_", " "), value)
            for key, value in summary.items()
        )
        return Markup(
            '<div class="alert alert-success">%s</div><table class="table table-sm">'
            "%s</table>%s"
        ) % (
            self.env._("The file is clean. Import it for acceptance."),
            rows,
            _unmatched_html(self.env, unmatched),
        )

    # Statements (camt.053, camt.052) ---------------------------------------

    def _spp_statement_plan(self, raw, name, kind):
        """What a statement of the FSP's account would do: its checks (errors
        refuse the whole file), the reconciliation lines of its booked entries
        by payroll, the entries it leaves unmatched, and its figures."""
        fsp = self.fsp_id
        message = next(m for m, k in STATEMENT_KINDS.items() if k == kind)
        statements = iso20022.parse_statement(raw, (message,))
        errors, previous = self._spp_statement_errors(statements, name, kind)
        items = [e for st in statements for e in st.entries]
        keys = {
            e.end_to_end_id
            for e in items
            if e.end_to_end_id and e.status == "BOOK" and e.outcome
        }
        lookup = self._spp_fetch_lookup(
            SQL("p.reference"),
            SQL("p.reference = ANY(%s) AND p.fsp_id = %s", list(keys), fsp.id),
            SQL(""),
            "reference",
            {},
        )
        lines, unmatched, seen = {}, [], {}
        counts = {"booked_debits": 0, "booked_credits": 0, "not_booked": 0}
        for entry, item in enumerate(items, start=1):
            if item.status != "BOOK":
                counts["not_booked"] += 1
                continue
            side = "booked_debits" if item.credit_debit == "DBIT" else "booked_credits"
            counts[side] += 1
            problem, target = self._spp_statement_target(lookup, item, seen, entry)
            if problem:
                unmatched.append((entry, item, problem))
                continue
            line = _iso_line(
                entry,
                target,
                ISO_OUTCOMES.get(item.outcome),
                item.amount,
                item.booking_date,
                item.reason_code,
                item.status,
            )
            lines.setdefault(target.payroll_id, []).append(line)
        closing = [(st, st.closing) for st in statements if st.closing]
        summary = {
            "statements": len(statements),
            "entries": sum(st.entry_count for st in statements),
            **counts,
            "matched": sum(len(group) for group in lines.values()),
            "unmatched": len(unmatched),
            "closing_balance": "; ".join(
                f"{b.amount} {b.currency or ''} ({b.code}, {b.date})"
                for _st, b in closing
            )
            or self.env._("none in the file"),
            "unmatched_entries": unmatched,
        }
        return {
            "statements": statements,
            "errors": errors,
            "lines": lines,
            "unmatched": unmatched,
            "summary": summary,
            "previous": previous,
        }

    def _spp_statement_errors(self, statements, name, kind):
        """(errors, previous imports to apply again): a statement of another
        account, in another currency, without its closing balance or already
        imported is refused as a whole -- unless every batch of its earlier
        import was rejected, which frees its entries as it frees a file."""
        fsp = self.fsp_id
        account = (fsp.iso_debtor_account or "").replace(" ", "").upper()
        errors = []

        def error(text):
            errors.append(tables.TableError(text, name))

        if not account:
            error(
                f"{fsp.name} has no debtor account (Instructions File > ISO 20022): "
                "a statement cannot be checked against it"
            )
        imported = self.env["spp.fsp.statement"].sudo()
        previous = {}
        for st in statements:
            label = st.statement_id or "?"
            if not st.msg_id or not st.statement_id:
                error(f"statement {label}: no message id (GrpHdr/MsgId) or Id")
            if account and (st.account or "").upper() != account:
                error(
                    f"statement {label} is of account {st.account or 'none'}, "
                    f"not of {fsp.name}'s account {account}"
                )
            closing = st.closing
            if closing is None and kind == "camt053":
                error(f"statement {label} has no closing booked balance (CLBD)")
            currency = (closing.currency if closing else None) or st.currency
            if currency and currency != fsp.currency_id.name:
                error(
                    f"statement {label} is in {currency}, {fsp.name}'s account "
                    f"in {fsp.currency_id.name}"
                )
            before = imported.search(
                [
                    ("fsp_id", "=", fsp.id),
                    ("msg_id", "=", st.msg_id),
                    ("name", "=", st.statement_id),
                ],
                limit=1,
            )
            if before:
                batches = before.reconciliation_ids
                if batches and all(batches.mapped("cleared")):
                    previous[st.msg_id, st.statement_id] = before
                else:
                    error(
                        f"statement {label} (message {st.msg_id}) was already "
                        f"imported on {before.create_date} by "
                        f"{before.create_uid.name}: a statement is imported once"
                    )
        return errors, previous

    def _spp_statement_target(self, lookup, item, seen, entry):
        """(problem, target) of a booked statement entry: only an entry whose
        EndToEndId names one payment of this FSP (of the chosen payroll, when
        one is) is matched; any other is reported, never guessed."""
        if item.outcome is None:
            if item.credit_debit == "CRDT":
                return "a credit that returns no payment (no return information)", None
            return "a debit that is no payment of ours", None
        ref = item.end_to_end_id
        if not ref and item.pmt_inf_id:
            return (
                f"a batch booking of PmtInfId {item.pmt_inf_id} without its "
                "transactions: its payments are confirmed by the bank's pain.002 "
                "or camt.054, never by a total"
            ), None
        if not ref:
            return "no EndToEndId (not a payment of ours)", None
        target = lookup.get(ref)
        if target is None:
            return f"EndToEndId {ref!r} names no payment of this FSP", None
        if isinstance(target, list):
            return f"EndToEndId {ref!r} names several payments", None
        if not target.payroll_id:
            return f"{ref} is not a payroll's payment", None
        if self.payroll_id and target.payroll_id != self.payroll_id.id:
            return f"{ref} is a payment of another payroll", None
        if ref in seen:
            return f"duplicate entry: {ref} already in entry {seen[ref]}", None
        seen[ref] = entry
        return "", target

    def _spp_import_statement(self, raw, kind):
        """Keep the statements, record the FSP's balance from the latest closing
        balance, and submit one reconciliation batch per payroll whose
        payments the booked entries confirm or return."""
        name = self.file_name or "statement.xml"
        try:
            plan = self._spp_statement_plan(raw, name, kind)
        except (tables.TableError, iso20022.Iso20022Error) as error:
            raise UserError(str(error)) from error
        if plan["errors"]:
            raise UserError(
                self.env._(
                    "%(n)s problems with %(file)s; nothing was imported. First: "
                    "%(first)s",
                    n=len(plan["errors"]),
                    file=name,
                    first=str(plan["errors"][0]),
                )
            )
        self._spp_progress(40.0, self.env._("Checked and matched"))
        fsp = self.fsp_id
        unmatched = _unmatched_html(self.env, plan["unmatched"])
        records = self.env["spp.fsp.statement"].sudo()
        for st in plan["statements"]:
            again = plan["previous"].get((st.msg_id, st.statement_id))
            if again:  # its batches were all rejected: its entries come again
                records |= again
                continue
            closing, opening = st.closing, st.opening
            new = records.create(
                {
                    "name": st.statement_id,
                    "fsp_id": fsp.id,
                    "kind": kind,
                    "message_version": st.message,
                    "msg_id": st.msg_id,
                    "account": st.account,
                    "created_datetime": st.created,
                    "from_datetime": st.from_datetime,
                    "to_datetime": st.to_datetime,
                    "opening_balance": opening.amount if opening else False,
                    "closing_balance": closing.amount if closing else False,
                    "balance_code": closing.code if closing else False,
                    "balance_date": iso20022.balance_moment(st, closing)
                    if closing
                    else False,
                    "entry_count": st.entry_count,
                    "file_name": name,
                }
            )
            records |= new
        summary = plan["summary"]
        records[:1].write(
            {
                "booked_debit_count": summary["booked_debits"],
                "booked_credit_count": summary["booked_credits"],
                "pending_count": summary["not_booked"],
                "matched_count": summary["matched"],
                "unmatched_count": summary["unmatched"],
                "unmatched_html": unmatched or False,
                "attachment_id": self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": name,
                        "raw": raw,
                        "res_model": records._name,
                        "res_id": records[:1].id,
                    }
                )
                .id,
            }
        )
        # A statement applied again has recorded its balance already.
        self._spp_record_statement_balance(
            records.filtered(lambda r: r.balance_code and not r.reconciliation_ids)
        )
        batches = self.env["spp.reconciliation"]
        for done, (payroll_id, lines) in enumerate(plan["lines"].items()):
            self._spp_progress(
                50.0 + 45.0 * done / len(plan["lines"]),
                self.env._("Reconciliation batches"),
            )
            if all(line.outcome == "skipped" for line in lines):
                continue  # nothing the batch would change
            payroll = self.env["spp.payroll"].browse(payroll_id)
            batch = batches._spp_create_batch(
                {
                    "name": self.env._(
                        "%(fsp)s statement %(statement)s",
                        fsp=fsp.name,
                        statement=records[:1].name,
                    ),
                    "source": "file",
                    "program_id": payroll.program_id.id,
                    "payroll_id": payroll.id,
                    "fsp_id": fsp.id,
                    "file_name": name,
                    "statement_id": records[:1].id,
                },
                lines,
                file={"statement_entries": summary["entries"]},
            )
            batch._spp_attach_file(raw, name)
            batch.action_submit()
            batches |= batch
        if len(batches) == 1:
            return batches._spp_action_open()
        return {
            "type": "ir.actions.act_window",
            "res_model": records._name,
            "res_id": records[:1].id,
            "view_mode": "form",
            "target": "current",
        }

    def _spp_record_statement_balance(self, records):
        """The latest closing balance becomes the FSP's (an older one than
        the FSP's own is ignored there)."""
        if not records:
            return
        latest = records.sorted("balance_date")[-1]
        origin = f"{latest.message_version[:8]} {latest.msg_id}"
        if latest.balance_code != "CLBD":
            origin += f" ({latest.balance_code})"
        if self.fsp_id.sudo()._spp_record_balance(
            latest.closing_balance, latest.balance_date, origin
        ):
            latest.balance_applied = True


def _case_key(state, outcome, amount, issued):
    """The text naming a case of a staged row, from SQL expressions: equal
    amounts give the same text whatever their scale (10.0 and 10.00), and a
    missing amount is "-"."""
    return SQL(
        "concat_ws('|', %s, %s, COALESCE(trim_scale(%s)::text, '-'), "
        "trim_scale(%s)::text)",
        state,
        outcome,
        amount,
        issued,
    )


class _RawCells:
    """SQL of the template's cells of a row ``r`` of spp_reply_raw, by
    template position (reconcile.MATCH...): its column, stripped as
    read_table's callers strip a cell when some cell of the reply needs it,
    or '' for a column the template does not name."""

    def __init__(self, plan):
        self.positions = plan.positions
        self.padded = plan.csv.padded

    def sql(self, position):
        at = self.positions[position]
        if at is None:
            return SQL("''::text")
        column = SQL.identifier("r", f"c{at}")
        return (
            SQL("btrim(%s, %s)", column, tables.CELL_SPACE) if self.padded else column
        )


class _BulkReply(NamedTuple):
    """A reply to match and store in bulk: its row count, the SQL of the
    payments it may settle, its decided cases (_spp_decided_cases), what
    stages its rows as spp_reply_row and the SQL dropping them."""

    count: int
    settles: SQL
    cases: list
    stage: object  # () -> None
    drop: SQL


def _summary_of(outcomes):
    """The file summary of lines counted as [(outcome, paid amount as text
    or None, count)]."""
    tally = reconcile.Tally()
    for outcome, paid_amount, count in outcomes:
        tally.add_alike(outcome, paid_amount and Decimal(paid_amount), count)
    return tally.summary([])


class _RowsToExplain(Exception):
    """A staged row that the bulk insert gave no line: unknown, outside the
    reply's scope or paid above the tolerance."""


def _grouped(keys, targets):
    """Match value -> Target, or the list of Targets of a value naming
    several payments (a phone, a registrant)."""
    lookup = {}
    for key, target in zip(keys, targets, strict=True):
        known = lookup.get(key)
        if known is None:
            lookup[key] = target
        else:
            lookup[key] = (known if isinstance(known, list) else [known]) + [target]
    return lookup


def _sniff(raw):
    """table, or the ISO 20022 kind its root namespace names (refused when
    it is another message's or a version not read)."""
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return "table"
    version = iso20022.identify(raw, tuple(ISO_KINDS))
    return ISO_KINDS[version[:8]]


def _unmatched_html(env, unmatched):
    """The statement entries that matched no payment, as a warning list."""
    if not unmatched:
        return Markup("")
    items = Markup("").join(
        Markup("<li>%s</li>")
        % env._(
            "Entry %(entry)s %(ref)s: %(side)s %(amount)s %(currency)s, "
            "%(end_to_end)s: %(why)s",
            entry=entry,
            ref=item.entry_ref or "",
            side=item.credit_debit or "",
            amount=item.amount if item.amount is not None else "?",
            currency=item.currency or "",
            end_to_end=item.end_to_end_id or "-",
            why=why,
        )
        for entry, item, why in unmatched[:SHOWN_UNMATCHED]
    )
    more = (
        Markup("<p>… and %s more.</p>") % (len(unmatched) - SHOWN_UNMATCHED)
        if len(unmatched) > SHOWN_UNMATCHED
        else ""
    )
    return Markup('<div class="alert alert-warning">%s</div><ul>%s</ul>%s') % (
        env._(
            "%s booked entries match no payment: they are reported, not applied.",
            len(unmatched),
        ),
        items,
        more,
    )


def _iso_line(entry, target, outcome, amount, booked, code, status):
    if outcome == "reversed" and target.state != "paid":
        # Returned before we recorded it paid: for us it simply failed.
        outcome = "failed"
    line = reconcile.Line(
        row=entry,
        payment_id=target.id,
        outcome=outcome or "skipped",
        paid_date=booked,
        reason_code=code,
        reason=iso20022.REASON_TEXT.get(code or "", status or ""),
        note="" if outcome else f"status {status}: no outcome yet",
    )
    final = target.state in reconcile.FINAL_STATES
    if final and not (outcome == "reversed" and target.state == "paid"):
        line.outcome, line.note = "skipped", f"already final ({target.state})"
    elif outcome == "paid":
        line.paid_amount = Decimal(amount) if amount is not None else target.amount
        if line.paid_amount < target.amount:
            line.outcome = "partial"
    return line


def _clear_unpaid_amounts(lines):
    """A batch records a paid amount only on what was paid."""
    for line in lines:
        if line.outcome not in ("paid", "partial"):
            line.paid_amount = None


def _stored_chunks(check):
    """The chunks of lines of ``check`` (a reconcile.Validation) that a batch
    stores: none from the first bad row on, though every row is checked."""
    for lines in check.chunks():
        if check.errors:
            continue
        _clear_unpaid_amounts(lines)
        yield lines
