# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io

from spp_payment_core.tables import FORMULA_PATTERN

from odoo import models
from odoo.tools import SQL

# Above this many payments the PDF carries the summary and the CSV the lines.
PDF_LINE_LIMIT = 5000


def _safe_text(column):
    """A text column that a spreadsheet will not run as a formula: the core's
    rule (spp_payment_core.tables.safe_text), evaluated by PostgreSQL."""
    return SQL(
        "CASE WHEN %(c)s ~ %(pattern)s THEN '''' || %(c)s ELSE %(c)s END",
        c=column,
        pattern=FORMULA_PATTERN,
    )


# One file per concern of the payroll (here its CSV and PDF outputs), not one
# 1,000-line class: pylint-odoo's merge advice does not apply.
class SppPayroll(models.Model):
    """CSV and PDF outputs of ``spp.payroll``."""

    _inherit = "spp.payroll"  # pylint: disable=consider-merging-classes-inherited

    def action_download_csv(self):
        """Every payment of the payroll as a read-only CSV (COPY, not the ORM)."""
        self.ensure_one()
        return self._spp_csv_download(
            SQL("p.payroll_id = %s", self.id), f"{self.name}-payments.csv"
        )

    def action_download_excluded_csv(self):
        """The flagged payments moved out of the payroll."""
        self.ensure_one()
        return self._spp_csv_download(
            SQL("p.excluded_payroll_id = %s", self.id), f"{self.name}-moved-out.csv"
        )

    def _spp_csv_download(self, where, filename):
        self.check_access("read")
        self.env["spp.payment"].check_access("read")
        self.env.flush_all()
        # Readers may download: the attachment is readable by whoever reads the
        # payroll, but only writers could create it without sudo.
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": filename,
                    "raw": self._spp_payments_csv(where),
                    "mimetype": "text/csv",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def _spp_payments_csv(self, where):
        query = SQL(
            """
            COPY (
                SELECT p.reference, %(registrant)s AS registrant_id,
                       %(name)s AS beneficiary, f.name AS fsp, p.channel,
                       %(destination)s AS destination, p.amount, c.name AS currency,
                       p.state, p.is_duplicate, p.duplicate_reason,
                       p.entitlement_rejected, p.is_capped, p.paid_amount,
                       p.paid_date, p.external_ref
                  FROM spp_payment p
                  JOIN res_partner r ON r.id = p.partner_id
             LEFT JOIN spp_fsp f ON f.id = p.fsp_id
             LEFT JOIN res_currency c ON c.id = p.currency_id
                 WHERE %(where)s
                 ORDER BY p.id
            ) TO STDOUT WITH (FORMAT csv, HEADER true)
            """,
            registrant=_safe_text(SQL("r.registrant_number")),
            name=_safe_text(SQL("r.name")),
            destination=_safe_text(SQL("p.destination")),
            where=where,
        )
        buffer = io.BytesIO()
        cursor = self.env.cr._obj
        cursor.copy_expert(cursor.mogrify(query.code, query.params).decode(), buffer)
        return buffer.getvalue()

    # PDF -----------------------------------------------------------------

    def _spp_report_lines(self):
        """Lines for the PDF, or none when the payroll is too large for it."""
        self.ensure_one()
        if self.payment_count > PDF_LINE_LIMIT:
            return self.env["spp.payment"]
        return self.payment_ids.sorted("id")

    def _spp_report_csv_note(self):
        return self.payment_count > PDF_LINE_LIMIT
