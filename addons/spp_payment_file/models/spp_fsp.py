# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core import reconcile, tables

from odoo import api, fields, models
from odoo.exceptions import ValidationError

FILE_FORMATS = [
    ("csv", "CSV"),
    ("xlsx", "Excel (XLSX)"),
    ("pain.001.001.03", "ISO 20022 pain.001.001.03"),
    ("pain.001.001.09", "ISO 20022 pain.001.001.09"),
]
# Payment data an instructions file can carry: key -> (label, kind).
EXPORT_FIELDS = {
    "reference": ("Payment reference (end-to-end id)", "text"),
    "registrant_id": ("Beneficiary registrant ID", "text"),
    "name": ("Beneficiary name", "text"),
    "destination": ("Account or mobile number", "text"),
    "destination_type": ("Destination type", "text"),
    "phone": ("Beneficiary phone (E.164)", "text"),
    "amount": ("Amount", "amount"),
    "currency": ("Currency", "text"),
    "program": ("Program", "text"),
    "payroll": ("Payroll", "text"),
    "cycle": ("Cycle", "text"),
    "execution_date": ("Execution date", "date"),
}
MATCH_ON = [
    ("reference", "Payment reference / end-to-end id"),
    ("registrant", "Beneficiary registrant ID"),
    ("phone", "Phone (MSISDN)"),
]


class SppFsp(models.Model):
    _inherit = "spp.fsp"

    provider = fields.Selection(
        selection_add=[("file", "File export and manual reconciliation")],
        ondelete={"file": "set default"},
    )
    # Export
    file_format = fields.Selection(FILE_FORMATS, default="csv")
    file_column_ids = fields.One2many(
        "spp.fsp.file.column", "fsp_id", string="Columns", copy=True
    )
    file_delimiter = fields.Char(string="Delimiter", default=",", size=1)
    file_encoding = fields.Selection(
        [
            ("utf-8", "UTF-8"),
            ("utf-8-sig", "UTF-8 with BOM (Excel)"),
            ("cp1252", "Windows-1252"),
            ("latin-1", "ISO-8859-1"),
        ],
        default="utf-8",
    )
    file_decimal_separator = fields.Selection(
        [(".", "Dot (1234.50)"), (",", "Comma (1234,50)")], default="."
    )
    file_date_format = fields.Char(default="%Y-%m-%d")
    file_header = fields.Boolean(string="Column Headers", default=True)
    file_header_line = fields.Char(
        help="Optional first line; {count} and {total} are replaced."
    )
    file_trailer_line = fields.Char(
        help="Optional last line; {count} and {total} are replaced."
    )
    # ISO 20022 debtor side
    iso_initiating_party = fields.Char(string="Initiating Party")
    iso_debtor_name = fields.Char(string="Debtor Name")
    iso_debtor_account = fields.Char(string="Debtor Account (IBAN or ID)")
    iso_debtor_bic = fields.Char(string="Debtor Agent BIC")
    iso_category_purpose = fields.Char(
        string="Category Purpose", default="SSBE", size=4
    )
    iso_batch_booking = fields.Boolean(string="Batch Booking", default=False)
    # Reconciliation import template
    recon_match_on = fields.Selection(MATCH_ON, string="Match On", default="reference")
    recon_match_column = fields.Char(string="Match Column", default="reference")
    recon_status_column = fields.Char(string="Status Column", default="status")
    recon_status_map_ids = fields.One2many(
        "spp.fsp.status.map", "fsp_id", string="Status Values", copy=True
    )
    recon_amount_column = fields.Char(string="Paid Amount Column", default="amount")
    recon_date_column = fields.Char(string="Date Column", default="date")
    recon_date_format = fields.Char(string="Date Format", default="%Y-%m-%d")
    recon_receipt_column = fields.Char(string="Receipt Column", default="receipt")
    recon_reason_column = fields.Char(string="Reason Column")
    recon_extra_columns = fields.Char(
        string="Extra Columns", help="Comma-separated columns kept with each line."
    )
    recon_encoding = fields.Selection(
        [("utf-8", "UTF-8"), ("cp1252", "Windows-1252"), ("latin-1", "ISO-8859-1")],
        string="Import Encoding",
        default="utf-8",
    )
    recon_tolerance = fields.Monetary(
        string="Amount Tolerance",
        currency_field="currency_id",
        help="A paid amount may exceed the issued amount by this much.",
    )
    payment_file_ids = fields.One2many("spp.payment.file", "fsp_id", readonly=True)
    statement_ids = fields.One2many(
        "spp.fsp.statement", "fsp_id", string="Statements", readonly=True
    )

    @api.constrains("file_delimiter", "provider", "file_format")
    def _check_file_layout(self):
        for fsp in self.filtered(lambda f: f.provider == "file"):
            if fsp.file_format == "csv" and not fsp.file_delimiter:
                raise ValidationError(self.env._("A CSV export needs a delimiter."))
            if fsp.file_format.startswith("pain") and not (
                fsp.iso_debtor_name and fsp.iso_debtor_account
            ):
                raise ValidationError(
                    self.env._(
                        "%s: an ISO 20022 export needs the debtor name and account.",
                        fsp.name,
                    )
                )

    # Dispatch -----------------------------------------------------------

    def _spp_dispatch_chunk_size(self):
        # One instructions file per FSP and run: never cut it in chunks.
        if self.provider == "file":
            return 0
        return super()._spp_dispatch_chunk_size()

    def _spp_prepare_send(self, payments):
        """A file FSP is called by nobody: its instructions file is written in
        the queueing transaction, so a file the bank would refuse undoes the
        queueing (the payments stay approved) and nothing is left to deliver."""
        if self.provider != "file":
            return super()._spp_prepare_send(payments)
        self._spp_write_instructions(payments)

    def _spp_send_payments(self, payments):
        if self.provider != "file":
            return super()._spp_send_payments(payments)
        # Queued by a caller that skipped _spp_prepare_send: write them now.
        self._spp_write_instructions(payments)

    def _spp_write_instructions(self, payments):
        self._spp_check_usable()
        run = self.env["spp.payroll.run"].browse(
            self.env.context.get("spp_payroll_run_id")
        )
        payment_file = self.env["spp.payment.file"]._spp_generate(self, payments, run)
        payments._set_sent(
            reason=self.env._("In instructions file %s.", payment_file.name)
        )

    def _spp_fetch_status(self, payments):
        if self.provider != "file":
            return super()._spp_fetch_status(payments)
        # File outcomes arrive by reconciliation imports, never by query.
        return 0

    # Layouts for the core library ----------------------------------------

    def _spp_export_columns(self):
        self.ensure_one()
        columns = self.file_column_ids.sorted("sequence") or [
            self.env["spp.fsp.file.column"].new({"field": key, "header": key})
            for key in ("reference", "registrant_id", "name", "destination", "amount")
        ]
        return [
            tables.Column(c.field, c.header or c.field, EXPORT_FIELDS[c.field][1])
            for c in columns
        ]

    def _spp_export_layout(self):
        self.ensure_one()
        return tables.Layout(
            delimiter=self.file_delimiter or ",",
            encoding=self.file_encoding or "utf-8",
            decimal_separator=self.file_decimal_separator or ".",
            decimal_places=self.currency_id.decimal_places,
            date_format=self.file_date_format or "%Y-%m-%d",
            header=self.file_header,
            header_line=self.file_header_line or "",
            trailer_line=self.file_trailer_line or "",
        )

    def _spp_import_template(self):
        self.ensure_one()
        extra = tuple(
            name.strip()
            for name in (self.recon_extra_columns or "").split(",")
            if name.strip()
        )
        return reconcile.Template(
            match_column=self.recon_match_column or "reference",
            status_column=self.recon_status_column or "status",
            status_map={
                m.value.strip().lower(): m.outcome for m in self.recon_status_map_ids
            },
            amount_column=self.recon_amount_column or "",
            date_column=self.recon_date_column or "",
            date_format=self.recon_date_format or "%Y-%m-%d",
            receipt_column=self.recon_receipt_column or "",
            reason_column=self.recon_reason_column or "",
            extra_columns=extra,
            tolerance=Decimal(str(self.recon_tolerance or 0)),
            decimal_places=self.currency_id.decimal_places,
        )


class SppFspFileColumn(models.Model):
    _name = "spp.fsp.file.column"
    _inherit = ["spp.audited.line.mixin"]
    _description = "FSP Export Column"
    _order = "sequence, id"
    # Changes are posted on the FSP's chatter, before and after.
    _spp_audit_parent = "fsp_id"

    fsp_id = fields.Many2one("spp.fsp", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    field = fields.Selection(
        [(key, label) for key, (label, _kind) in EXPORT_FIELDS.items()], required=True
    )
    header = fields.Char(required=True)


class SppFspStatusMap(models.Model):
    _name = "spp.fsp.status.map"
    _inherit = ["spp.audited.line.mixin"]
    _description = "FSP Reply Status Value"
    _order = "fsp_id, value"
    _spp_audit_parent = "fsp_id"

    fsp_id = fields.Many2one("spp.fsp", required=True, ondelete="cascade", index=True)
    value = fields.Char(required=True, help="The value as the FSP writes it.")
    outcome = fields.Selection([("paid", "Paid"), ("failed", "Failed")], required=True)

    _value_unique = models.UniqueIndex(
        "(fsp_id, lower(value))", "Each status value is mapped once per FSP."
    )
