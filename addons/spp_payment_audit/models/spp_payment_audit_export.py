# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The Excel audit export: every payment of a scope and every attempt at it,
read from SQL in keyset pages and streamed to an XLSX file on disk
(xlsxwriter's constant_memory mode keeps one row in memory, not the workbook)."""

import logging
import tempfile
import time

from spp_payment_core.tables import safe_text

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from odoo.addons.spp_payment_base.tools import (
    guarded_write,
    is_guarded_write,
    refuse_fields,
)
from odoo.addons.spp_payroll.models.spp_payroll_run import notify_progress

_lt = LazyTranslate(__name__)
_logger = logging.getLogger(__name__)
# Progress of a running export is told to the browsers at most this often.
NOTIFY_SECONDS = 2.0
_NOTIFIED = {}  # export id -> when its browsers were last told (this process)
_GUARD = "audit_export"
# What an export has done: written by the export itself, never by a client.
RESULT_FIELDS = frozenset(
    {
        "state",
        "payment_total",
        "attempt_total",
        "rows_total",
        "rows_done",
        "destinations_masked",
        "attachment_id",
        "date_done",
        "duration",
        "error",
        "company_id",
        "company_ids",
    }
)

# Rows read per SQL page (keyset pagination: WHERE id > last ORDER BY id LIMIT).
PAGE_SIZE = 10_000
# Rows of a worksheet, its header included (Excel's limit: xlsxwriter drops
# the rows beyond it without a word).
SHEET_ROWS = 1_048_576
# Above this many payments the export runs as a queue job (system parameter).
THRESHOLD_PARAM = "spp_payment_audit.job_threshold"
DEFAULT_THRESHOLD = 50_000
FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"
STATES = [
    ("draft", "Draft"),
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
]

# (header, kind, width) of each sheet; kinds: text, amount, datetime, int.
PAYMENT_COLUMNS = [
    (_lt("Reference"), "text", 16),
    (_lt("Beneficiary"), "text", 28),
    (_lt("Registrant ID"), "text", 16),
    (_lt("Program"), "text", 20),
    (_lt("Cycle"), "text", 14),
    (_lt("Payroll"), "text", 20),
    (_lt("Channel"), "text", 14),
    (_lt("FSP"), "text", 18),
    (_lt("Destination"), "text", 18),
    (_lt("Amount"), "amount", 12),
    (_lt("Currency"), "text", 8),
    (_lt("State"), "text", 11),
    (_lt("Paid Amount"), "amount", 12),
    (_lt("Paid Date (UTC)"), "datetime", 18),
    (_lt("FSP Receipt"), "text", 18),
    (_lt("Attempts"), "int", 9),
    (_lt("Last FSP Message"), "text", 40),
]
ATTEMPT_COLUMNS = [
    (_lt("Payment Reference"), "text", 16),
    (_lt("Attempt"), "int", 8),
    (_lt("State"), "text", 11),
    (_lt("FSP"), "text", 18),
    (_lt("Idempotency Key"), "text", 40),
    (_lt("FSP Transaction"), "text", 20),
    (_lt("Queued (UTC)"), "datetime", 18),
    (_lt("Sent (UTC)"), "datetime", 18),
    (_lt("Updated (UTC)"), "datetime", 18),
    (_lt("FSP Status Code"), "text", 16),
    (_lt("FSP Message"), "text", 40),
]


def mask_sql(column):
    """All but the last four characters of ``column`` starred (a short value
    entirely): enough to match an account, not to pay into it."""
    return SQL(
        "CASE WHEN length(%(c)s) > 4 "
        "THEN repeat('*', length(%(c)s) - 4) || right(%(c)s, 4) "
        "ELSE repeat('*', length(%(c)s)) END",
        c=column,
    )


class SppPaymentAuditExport(models.Model):
    """One Excel audit export and its result; large ones run as a queue job
    and show their progress here."""

    _name = "spp.payment.audit.export"
    _inherit = ["spp.payment.scope.mixin"]
    _description = "Payment Audit Export"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda s: s.env.company
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        readonly=True,
        default=lambda s: s.env.companies,
        help="The companies whose payments are exported: those the user worked "
        "in when asking for the export.",
    )
    state = fields.Selection(STATES, default="draft", required=True, readonly=True)
    payment_total = fields.Integer(string="Payments", readonly=True)
    attempt_total = fields.Integer(string="Attempts", readonly=True)
    rows_total = fields.Integer(readonly=True)
    rows_done = fields.Integer(readonly=True)
    progress = fields.Float(compute="_compute_progress")
    destinations_masked = fields.Boolean(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", readonly=True, ondelete="set null")
    file_name = fields.Char(string="File", related="attachment_id.name")
    date_done = fields.Datetime(readonly=True)
    duration = fields.Float(string="Seconds", readonly=True)
    error = fields.Text(readonly=True)

    @api.depends("scope", "payroll_id", "program_id", "date_from", "date_to")
    def _compute_name(self):
        for export in self:
            export.name = self.env._(
                "Audit export: %s", export._spp_scope_label() or "?"
            )

    @api.depends("rows_done", "rows_total")
    def _compute_progress(self):
        for export in self:
            export.progress = (
                100.0 * export.rows_done / export.rows_total
                if export.rows_total
                else 0.0
            )

    # Access ----------------------------------------------------------------

    @api.model
    def _spp_check_exporter(self):
        """Only finance (officers and managers) export: the file holds the
        personal data of every beneficiary of the scope (see readme)."""
        if not self.env.user.has_group(FINANCE_OFFICER):
            raise AccessError(
                self.env._("Only finance officers and managers export payments.")
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._spp_check_exporter()
        for vals in vals_list:
            refuse_fields(
                RESULT_FIELDS & vals.keys(),
                self.env._("%s of an export are set by the export itself."),
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_guarded_write(_GUARD):
            refuse_fields(
                RESULT_FIELDS & vals.keys(),
                self.env._("%s of an export are set by the export itself."),
            )
            if self.filtered(lambda e: e.state != "draft"):
                raise UserError(self.env._("An export that started cannot be changed."))
        return super().write(vals)

    def _spp_write(self, values):
        """Write what the export did (see RESULT_FIELDS)."""
        with guarded_write(_GUARD):
            self.sudo().write(values)

    def _spp_company_ids(self):
        # The companies asked for, among those the user (also in a job) has.
        return sorted(set(self.company_ids.ids) & set(self.env.user.company_ids.ids))

    # Starting --------------------------------------------------------------

    def action_export(self):
        """Export now, or as a queue job above the threshold."""
        self.ensure_one()
        self._spp_check_exporter()
        self.check_access("write")
        if self.state in ("queued", "running"):
            raise UserError(self.env._("This export is already under way."))
        self._spp_check_scope()
        payments, attempts = self._spp_count()
        masked = not self.env.user.has_group(FINANCE_MANAGER)
        self._spp_write(
            {
                "payment_total": payments,
                "attempt_total": attempts,
                "rows_total": payments + attempts,
                "rows_done": 0,
                "destinations_masked": masked,
                "attachment_id": False,
                "error": False,
                "state": "queued" if payments > self._spp_threshold() else "running",
            }
        )
        if self.state == "queued":
            self.with_delay(
                description=self.env._(
                    "%(name)s (%(count)s payments)", name=self.name, count=payments
                ),
                identity_key=f"spp.payment.audit.export:{self.id}",
            )._job_export()
            return self._spp_reopen()
        self._spp_export(own_cursor=False)
        return self.action_download()

    @api.model
    def _spp_threshold(self):
        value = self.env["ir.config_parameter"].sudo().get_param(THRESHOLD_PARAM) or ""
        return int(value) if value.strip().isdigit() else DEFAULT_THRESHOLD

    def _spp_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_download(self):
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(self.env._("The export has no file yet."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    def _spp_count(self):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(*), COALESCE(SUM((SELECT COUNT(*) FROM "
                "spp_payment_attempt a WHERE a.payment_id = p.id)), 0) "
                "FROM spp_payment p WHERE %s",
                self._spp_scope_sql(),
            )
        )
        payments, attempts = self.env.cr.fetchone()
        return payments, int(attempts)

    # The job ---------------------------------------------------------------

    def _job_export(self):
        """Queue job: the export, its progress and its result written through
        cursors of their own (committed at once, for the user watching), so
        this job's transaction writes nothing the progress updates would
        conflict with."""
        self.ensure_one()
        # As the user who asked: their rights may have changed since.
        self._spp_check_exporter()
        if self.state not in ("queued", "running"):  # running: a worker died
            return f"export {self.id} is {self.state}: nothing to do"
        self._spp_check_scope()
        self._spp_write_progress({"state": "running"}, own_cursor=True)
        try:
            self._spp_export(own_cursor=True)
        except Exception as error:
            self._spp_write_progress(
                {"state": "failed", "error": str(error)[:2000]}, own_cursor=True
            )
            raise
        return f"{self.rows_total} rows exported"

    def _spp_write_progress(self, values, own_cursor):
        """Write ``values`` on the export: in a cursor of its own (committed
        when the block ends) for a job, else in this transaction."""
        if not own_cursor:
            self._spp_write(values)
            return
        # The browsers showing the export are told of its progress when its
        # state changes, and otherwise at most every NOTIFY_SECONDS.
        now = time.monotonic()
        notify = set(values) != {"rows_done"} or (
            now - _NOTIFIED.get(self.id, 0) >= NOTIFY_SECONDS
        )
        with self.env.registry.cursor() as cr:
            export = self.with_env(self.env(cr=cr))
            export._spp_write(values)
            if notify:
                _NOTIFIED[self.id] = now
                notify_progress(export)
        self.invalidate_recordset(list(values))

    # Writing ---------------------------------------------------------------

    def _spp_export(self, own_cursor):
        import xlsxwriter  # noqa: PLC0415  (Odoo ships it)

        self.ensure_one()
        start = time.perf_counter()
        self.env.flush_all()
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as out:
            book = xlsxwriter.Workbook(
                out.name,
                {
                    "constant_memory": True,
                    "strings_to_formulas": False,
                    "strings_to_urls": False,
                    "strings_to_numbers": False,
                },
            )
            formats = self._spp_formats(book)
            summary = book.add_worksheet(self.env._("Summary"))
            written = 0
            for name, columns, pages in (
                (self.env._("Payments"), PAYMENT_COLUMNS, self._spp_payment_pages()),
                (self.env._("Attempts"), ATTEMPT_COLUMNS, self._spp_attempt_pages()),
            ):
                written = self._spp_stream(
                    book, name, columns, pages, formats, written, own_cursor
                )
            self._spp_write_summary(summary, formats)
            book.close()
            out.seek(0)
            data = out.read()
        self._spp_store(data, written, time.perf_counter() - start, own_cursor)

    @api.model
    def _spp_formats(self, book):
        return {
            "header": book.add_format({"bold": True, "bg_color": "#DDEBF7"}),
            "amount": book.add_format({"num_format": "#,##0.00"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        }

    @api.model
    def _spp_sheet(self, book, name, columns, formats):
        sheet = book.add_worksheet(name)
        for col, (header, _kind, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            sheet.write_string(
                0, col, header._translate(self.env.lang or "en_US"), formats["header"]
            )
        sheet.freeze_panes(1, 0)
        return sheet

    def _spp_stream(self, book, name, columns, pages, formats, written, own_cursor):
        """Write every row of ``pages`` to sheet ``name`` below its header,
        continued on sheets "name (2)", "name (3)"... past the rows a sheet
        holds (SHEET_ROWS: Excel's limit); the progress is written after each
        page."""
        part, row, sheet, writers = 1, SHEET_ROWS, None, None
        for page in pages:
            for values in page:
                if row >= SHEET_ROWS:
                    title = name if part == 1 else f"{name} ({part})"
                    sheet = self._spp_sheet(book, title, columns, formats)
                    writers = self._spp_cell_writers(sheet, columns, formats)
                    part, row = part + 1, 1
                for col, write in enumerate(writers):
                    write(row, col, values[col])
                row += 1
            written += len(page)
            self._spp_write_progress({"rows_done": written}, own_cursor)
        if sheet is None:  # no rows: the sheet and its header all the same
            self._spp_sheet(book, name, columns, formats)
        return written

    @api.model
    def _spp_cell_writers(self, sheet, columns, formats):
        """One writer per column, chosen once: typed writes, no type sniffing
        per cell; every text through the suite's formula-injection rule."""

        def text(row, col, value):
            if value is not None and value is not False:
                sheet.write_string(row, col, safe_text(value))

        def amount(row, col, value):
            if value is not None:
                # Numbers the sheet can sum; the decimal is exact to the cent.
                sheet.write_number(row, col, float(value), formats["amount"])

        def moment(row, col, value):
            if value:
                sheet.write_datetime(row, col, value, formats["datetime"])

        def integer(row, col, value):
            if value is not None:
                sheet.write_number(row, col, value)

        kinds = {"text": text, "amount": amount, "datetime": moment, "int": integer}
        return [kinds[kind] for _header, kind, _width in columns]

    def _spp_write_summary(self, sheet, formats):
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 1, 50)
        lines = [
            (self.env._("Scope"), self._spp_scope_label()),
            (
                self.env._("Companies"),
                ", ".join(
                    self.env["res.company"]
                    .browse(self._spp_company_ids())
                    .mapped("name")
                ),
            ),
            (self.env._("Exported by"), self.env.user.name),
            (
                self.env._("Exported at (UTC)"),
                fields.Datetime.to_string(fields.Datetime.now()),
            ),
            (self.env._("Payments"), str(self.payment_total)),
            (self.env._("Attempts"), str(self.attempt_total)),
            (
                self.env._("Destinations"),
                self.env._("masked but for the last 4 characters")
                if self.destinations_masked
                else self.env._("in full"),
            ),
        ]
        sheet.write_string(0, 0, self.env._("Payment audit export"), formats["header"])
        for row, (label, value) in enumerate(lines, start=1):
            sheet.write_string(row, 0, label, formats["header"])
            sheet.write_string(row, 1, safe_text(value))

    def _spp_store(self, data, written, seconds, own_cursor):
        stamp = fields.Datetime.now().strftime("%Y%m%d-%H%M%S")
        values = {
            "name": f"payment-audit-{self.id}-{stamp}.xlsx",
            "raw": data,
            "mimetype": "application/vnd.openxmlformats-officedocument"
            ".spreadsheetml.sheet",
            "res_model": self._name,
            "res_id": self.id,
        }
        result = {
            "state": "done",
            "rows_done": written,
            "date_done": fields.Datetime.now(),
            "duration": round(seconds, 1),
        }
        if not own_cursor:
            attachment = self.env["ir.attachment"].sudo().create(values)
            self._spp_write({**result, "attachment_id": attachment.id})
            return
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr)
            attachment = env["ir.attachment"].sudo().create(values)
            self.with_env(env)._spp_write({**result, "attachment_id": attachment.id})
            notify_progress(self.with_env(env))
        _NOTIFIED.pop(self.id, None)
        self.invalidate_recordset()

    # Reading: keyset pages, joined in SQL ----------------------------------

    def _spp_payment_pages(self):
        """Pages of payment rows in PAYMENT_COLUMNS order, by id."""
        labels = self._spp_labels()
        destination = SQL("p.destination")
        if self.destinations_masked:
            destination = mask_sql(destination)
        last = 0
        while True:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT p.id, p.reference, r.name, r.registrant_number,
                           prog.name, cy.name, pr.name, p.channel, f.name,
                           %(destination)s, p.amount, cur.name, p.state,
                           p.paid_amount, date_trunc('second', p.paid_date),
                           p.external_ref,
                           (SELECT COUNT(*) FROM spp_payment_attempt a
                             WHERE a.payment_id = p.id),
                           COALESCE(NULLIF(p.status_reason, ''),
                                    concat_ws(' ', ca.fsp_reason_code,
                                              ca.fsp_status_raw))
                      FROM spp_payment p
                      JOIN res_partner r ON r.id = p.partner_id
                      JOIN spp_program prog ON prog.id = p.program_id
                 LEFT JOIN spp_payment_cycle cy ON cy.id = p.cycle_id
                 LEFT JOIN spp_payroll pr ON pr.id = p.payroll_id
                 LEFT JOIN spp_fsp f ON f.id = p.fsp_id
                 LEFT JOIN res_currency cur ON cur.id = p.currency_id
                 LEFT JOIN spp_payment_attempt ca ON ca.id = p.current_attempt_id
                     WHERE p.id > %(last)s AND %(scope)s
                  ORDER BY p.id
                     LIMIT %(limit)s
                    """,
                    destination=destination,
                    last=last,
                    scope=self._spp_scope_sql(),
                    limit=PAGE_SIZE,
                )
            )
            rows = self.env.cr.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            channel, state = labels["channel"], labels["state"]
            yield [
                (
                    *row[1:7],
                    channel.get(row[7], row[7]),
                    *row[8:12],
                    state.get(row[12], row[12]),
                    *row[13:17],
                    row[17] or None,
                )
                for row in rows
            ]

    def _spp_attempt_pages(self):
        """Pages of attempt rows in ATTEMPT_COLUMNS order, by payment and
        attempt number (the unique index on both)."""
        state = self._spp_labels()["state"]
        last = (0, 0)
        while True:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT a.payment_id, p.reference, a.attempt_no, a.state,
                           f.name, a.idempotency_key, a.fsp_txn_id,
                           date_trunc('second', a.create_date),
                           date_trunc('second', a.sent_date),
                           date_trunc('second', a.write_date),
                           a.fsp_reason_code, a.fsp_status_raw
                      FROM spp_payment_attempt a
                      JOIN spp_payment p ON p.id = a.payment_id
                 LEFT JOIN spp_fsp f ON f.id = a.fsp_id
                     WHERE (a.payment_id, a.attempt_no) > (%(pid)s, %(no)s)
                       AND %(scope)s
                  ORDER BY a.payment_id, a.attempt_no
                     LIMIT %(limit)s
                    """,
                    pid=last[0],
                    no=last[1],
                    scope=self._spp_scope_sql(),
                    limit=PAGE_SIZE,
                )
            )
            rows = self.env.cr.fetchall()
            if not rows:
                return
            last = (rows[-1][0], rows[-1][2])
            yield [
                (row[1], row[2], state.get(row[3], row[3]), *row[4:]) for row in rows
            ]

    def _spp_labels(self):
        payment = self.env["spp.payment"]
        return {
            name: dict(payment._fields[name]._description_selection(self.env))
            for name in ("channel", "state")
        }
