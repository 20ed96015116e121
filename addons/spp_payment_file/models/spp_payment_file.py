# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Payment instruction files: generated once per FSP and execution run, stored
with their SHA-256 fingerprint, re-verified on every download."""

import hashlib
import io
import logging
import time
from decimal import Decimal

from spp_payment_core import iso20022, tables
from spp_payment_core.bulk import no_cycle_collection

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import id_array

EXTENSIONS = {"csv": "csv", "xlsx": "xlsx"}
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Columns of the export query, in order (see _spp_fetch_rows).
QUERY_COLUMNS = (
    "id",
    "reference",
    "registrant_id",
    "name",
    "destination",
    "destination_type",
    "phone",
    "amount",
    "currency",
    "program",
    "payroll",
    "cycle",
    "execution_date",
    "bic",
)

_logger = logging.getLogger(__name__)


class SppPaymentFile(models.Model):
    _name = "spp.payment.file"
    _description = "Payment Instructions File"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    fsp_id = fields.Many2one(
        "spp.fsp", string="FSP", required=True, readonly=True, index=True
    )
    run_id = fields.Many2one("spp.payroll.run", readonly=True, index=True)
    payroll_id = fields.Many2one("spp.payroll", readonly=True, index=True)
    company_id = fields.Many2one(related="fsp_id.company_id", store=True)
    currency_id = fields.Many2one(related="fsp_id.currency_id")
    file_format = fields.Selection(
        related="fsp_id.file_format", store=True, readonly=True
    )
    message_id = fields.Char(
        string="Message ID", readonly=True, help="ISO 20022 GrpHdr/MsgId."
    )
    payment_count = fields.Integer(readonly=True)
    total_amount = fields.Monetary(readonly=True, currency_field="currency_id")
    sha256 = fields.Char(string="SHA-256 Fingerprint", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", readonly=True)
    file_size = fields.Integer(related="attachment_id.file_size")

    # Generation -----------------------------------------------------------

    def _spp_generate(self, fsp, payments, run):
        """Write the instructions file of ``payments`` for ``fsp``."""
        payroll = run.payroll_id or payments.payroll_id[:1]
        record = self.sudo().create(
            {
                "name": "/",
                "fsp_id": fsp.id,
                "run_id": run.id,
                "payroll_id": payroll.id,
            }
        )
        started = time.perf_counter()
        rows = record._spp_fetch_rows(payments.ids)
        content, count, total = record._spp_render(fsp, rows)
        rows = None  # a million tuples: not kept while the file is stored
        extension = EXTENSIONS.get(fsp.file_format, "xml")
        name = f"{payroll.name or 'payments'}-{fsp.name}-{record.id}.{extension}"
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "raw": content,
                    "mimetype": MIMETYPES.get(fsp.file_format, "application/xml"),
                    "res_model": self._name,
                    "res_id": record.id,
                }
            )
        )
        record.write(
            {
                "name": name,
                "attachment_id": attachment.id,
                "sha256": hashlib.sha256(content).hexdigest(),
                "payment_count": count,
                "total_amount": float(total),
            }
        )
        _logger.info(
            "%s: %s payments, %s bytes, built in %.1f s",
            name,
            count,
            len(content),
            time.perf_counter() - started,
        )
        return record

    def _spp_fetch_rows(self, payment_ids):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, p.reference, r.registrant_number, r.name,
                       p.destination, p.destination_type, r.phone_e164,
                       COALESCE(p.fsp_amount, p.amount)::text,
                       c.name, pg.name, pr.name, cy.name, CURRENT_DATE, bk.bic
                  FROM spp_payment p
                  JOIN res_partner r ON r.id = p.partner_id
                  JOIN spp_program pg ON pg.id = p.program_id
             LEFT JOIN res_currency c
                       ON c.id = COALESCE(p.fsp_currency_id, p.currency_id)
             LEFT JOIN spp_payroll pr ON pr.id = p.payroll_id
             LEFT JOIN spp_payment_cycle cy ON cy.id = p.cycle_id
             LEFT JOIN res_partner_bank a ON p.destination_type = 'bank'
                       AND a.partner_id = p.partner_id AND a.acc_number = p.destination
             LEFT JOIN res_bank bk ON bk.id = a.bank_id
                 WHERE p.id = ANY(%s::int[])
              ORDER BY p.id
                """,
                id_array(payment_ids),
            )
        )
        # A million rows of tuples: without the cycle collector walking them
        # all again as they are built.
        with no_cycle_collection():
            return self.env.cr.fetchall()

    def _spp_render(self, fsp, rows):
        """(bytes, count, total) of the file in the FSP's format."""
        amount_at = QUERY_COLUMNS.index("amount")
        total = sum((Decimal(row[amount_at]) for row in rows), Decimal(0))
        buffer = io.BytesIO()
        if fsp.file_format in ("csv", "xlsx"):
            columns = fsp._spp_export_columns()
            positions = [QUERY_COLUMNS.index(c.field) for c in columns]
            projected = (tuple(row[i] for i in positions) for row in rows)
            writer = tables.write_csv if fsp.file_format == "csv" else tables.write_xlsx
            try:
                writer(
                    buffer,
                    columns,
                    projected,
                    fsp._spp_export_layout(),
                    count=len(rows),
                    total=total,
                )
            except tables.TableError as error:
                raise UserError(
                    self.env._("%(fsp)s: %(error)s", fsp=fsp.name, error=error)
                ) from error
            return buffer.getvalue(), len(rows), total
        return self._spp_render_pain001(fsp, rows), len(rows), total

    def _spp_render_pain001(self, fsp, rows):
        self.ensure_one()
        self.message_id = f"SPP-{self.env.cr.dbname[:8]}-{self.id}"[:35]
        # Encoded as it is written: a StringIO of a million transfers held
        # four bytes per character, copied twice more by getvalue() and
        # encode() (a MemoryError measured at 1,000,000 payments).
        buffer = io.BytesIO()
        text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
        currency = fsp.currency_id.name
        transfers = [
            iso20022.Transfer(
                end_to_end_id=row[1],
                amount=Decimal(row[7]),
                currency=row[8] or currency,
                creditor_name=row[3] or row[2] or row[1],
                creditor_account=row[4] or "",
                creditor_bic=row[13],
                remittance=f"{row[9]} {row[11] or ''}".strip(),
            )
            for row in rows
        ]
        missing = [t.end_to_end_id for t in transfers if not t.creditor_account]
        if missing:
            raise UserError(
                self.env._(
                    "%(n)s payments have no destination account (e.g. %(refs)s); "
                    "an ISO 20022 file needs one for each.",
                    n=len(missing),
                    refs=", ".join(missing[:5]),
                )
            )
        try:
            iso20022.write_pain001(
                text,
                transfers,
                version=fsp.file_format,
                msg_id=self.message_id,
                created=fields.Datetime.now(),
                debtor=iso20022.Debtor(
                    name=fsp.iso_debtor_name,
                    account=fsp.iso_debtor_account,
                    bic=fsp.iso_debtor_bic or None,
                    initiating_party=fsp.iso_initiating_party or fsp.iso_debtor_name,
                ),
                execution_date=fields.Date.context_today(self),
                category_purpose=fsp.iso_category_purpose or None,
                batch_booking=fsp.iso_batch_booking,
                currency=currency,
                decimal_places=fsp.currency_id.decimal_places,
            )
        except ValueError as error:
            # The bank would refuse the file: say which payment and why.
            raise UserError(
                self.env._(
                    "%(fsp)s: no ISO 20022 file can be written: %(error)s",
                    fsp=fsp.name,
                    error=error,
                )
            ) from error
        text.flush()
        text.detach()  # the bytes stay open for getvalue()
        return buffer.getvalue()

    # Download -------------------------------------------------------------

    def _spp_verified_content(self):
        """The file's bytes, refused when they no longer match the fingerprint
        taken at generation (the bank would receive something else)."""
        self.ensure_one()
        self.check_access("read")
        content = self.sudo().attachment_id.raw or b""
        if hashlib.sha256(content).hexdigest() != self.sha256:
            raise UserError(
                self.env._(
                    "%(name)s changed since it was generated: its SHA-256 no longer "
                    "matches %(sha)s. It will not be downloaded.",
                    name=self.name,
                    sha=self.sha256,
                )
            )
        return content

    def action_download(self):
        self.ensure_one()
        self._spp_verified_content()
        return {
            "type": "ir.actions.act_url",
            "url": f"/spp_payment_file/download/{self.id}",
            "target": "self",
        }
