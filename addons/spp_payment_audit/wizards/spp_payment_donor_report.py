# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Donor reports: totals of a payroll or of a program period by state, FSP,
channel and area, from one SQL aggregate (GROUPING SETS), as PDF or XLSX.
No personal data: viewers (donors' view-only users) may print them."""

import io
from decimal import Decimal

from spp_payment_core.tables import safe_text

from odoo import api, fields, models
from odoo.tools import SQL

# GROUPING(state, fsp, channel, area) of each grouping set: a bit is 1 for
# each column the set does not group by.
DIMENSIONS = {7: "state", 11: "fsp", 13: "channel", 14: "area", 15: "total"}


class SppPaymentDonorReport(models.TransientModel):
    _name = "spp.payment.donor.report"
    _inherit = ["spp.payment.scope.mixin"]
    _description = "Donor Report"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda s: s.env.company
    )

    def _spp_figures(self):
        """{"total": line, "state"|"fsp"|"channel"|"area": [line, ...]}; a line
        is {"label", "count", "amount", "paid_count", "paid_amount"}, amounts
        Decimal in the scope's currency."""
        self.ensure_one()
        self._spp_check_scope()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT GROUPING(p.state, p.fsp_id, p.channel, r.area_id),
                       p.state, p.fsp_id, p.channel, r.area_id,
                       COUNT(*), COALESCE(SUM(p.amount), 0)::text,
                       COUNT(*) FILTER (WHERE p.state = 'paid'),
                       COALESCE(SUM(p.paid_amount) FILTER (WHERE p.state = 'paid'),
                                0)::text
                  FROM spp_payment p
                  JOIN res_partner r ON r.id = p.partner_id
                 WHERE %s
              GROUP BY GROUPING SETS ((p.state), (p.fsp_id), (p.channel),
                                      (r.area_id), ())
                """,
                self._spp_scope_sql(),
            )
        )
        figures = {"state": [], "fsp": [], "channel": [], "area": []}
        # Sums as text: Odoo reads numeric columns as floats, not exactly.
        figures["total"] = self._spp_line("", 0, "0", 0, "0")
        labels = self._spp_labels()
        for grouping, state, fsp, channel, area, *numbers in self.env.cr.fetchall():
            dimension = DIMENSIONS[grouping]
            key = {"state": state, "fsp": fsp, "channel": channel, "area": area}.get(
                dimension
            )
            line = self._spp_line(labels[dimension](key), *numbers)
            if dimension == "total":
                figures["total"] = line
            else:
                figures[dimension].append(line)
        for dimension in ("state", "fsp", "channel", "area"):
            figures[dimension].sort(key=lambda line: (-line["amount"], line["label"]))
        return figures

    @api.readonly
    def get_figures(self):
        """_spp_figures as JSON, amounts as text (exact). Read-only: called
        through call_kw it reads from the read replica when Odoo's
        db_replica_host is set."""

        def plain(line):
            return dict(
                line, amount=str(line["amount"]), paid_amount=str(line["paid_amount"])
            )

        return {
            key: plain(value) if key == "total" else [plain(line) for line in value]
            for key, value in self._spp_figures().items()
        }

    @staticmethod
    def _spp_line(label, count, amount, paid_count, paid_amount):
        return {
            "label": label,
            "count": count,
            "amount": Decimal(amount),
            "paid_count": paid_count,
            "paid_amount": Decimal(paid_amount),
        }

    def _spp_labels(self):
        payment = self.env["spp.payment"]
        selection = {
            name: dict(payment._fields[name]._description_selection(self.env))
            for name in ("state", "channel")
        }
        none = self.env._("(none)")

        def name_of(model, field="display_name"):
            return lambda rid: (
                self.env[model].sudo().browse(rid)[field] if rid else none
            )

        return {
            "state": lambda key: selection["state"].get(key, key),
            "channel": lambda key: selection["channel"].get(key, key),
            "fsp": name_of("spp.fsp", "name"),
            "area": name_of("spp.area", "complete_name"),
            "total": lambda key: self.env._("Total"),
        }

    def _spp_currency(self):
        program = self.payroll_id.program_id or self.program_id
        return program.currency_id or self.env.company.currency_id

    def _spp_sections(self):
        return [
            ("state", self.env._("By state")),
            ("fsp", self.env._("By FSP")),
            ("channel", self.env._("By channel")),
            ("area", self.env._("By area")),
        ]

    # Outputs ---------------------------------------------------------------

    def action_print_pdf(self):
        self.ensure_one()
        self._spp_check_scope()
        return self.env.ref("spp_payment_audit.action_report_spp_donor").report_action(
            self
        )

    def action_download_xlsx(self):
        self.ensure_one()
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"donor-report-{self.id}.xlsx",
                    "raw": self._spp_xlsx(),
                    "mimetype": "application/vnd.openxmlformats-officedocument"
                    ".spreadsheetml.sheet",
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

    def _spp_xlsx(self):
        import xlsxwriter  # noqa: PLC0415  (Odoo ships it)

        figures = self._spp_figures()
        currency = self._spp_currency()
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False})
        bold = book.add_format({"bold": True})
        money = book.add_format(
            {"num_format": "#,##0." + "0" * currency.decimal_places}
        )
        sheet = book.add_worksheet(self.env._("Donor report"))
        sheet.set_column(0, 0, 36)
        sheet.set_column(1, 4, 16)
        sheet.write_string(0, 0, safe_text(self._spp_scope_label()), bold)
        sheet.write_string(1, 0, self.env._("Currency"))
        sheet.write_string(1, 1, currency.name)
        row = 3
        headers = [
            self.env._("Payments"),
            self.env._("Amount issued"),
            self.env._("Paid"),
            self.env._("Amount paid"),
        ]
        for key, title in [("total", self.env._("Total")), *self._spp_sections()]:
            sheet.write_string(row, 0, title, bold)
            for col, header in enumerate(headers, start=1):
                sheet.write_string(row, col, header, bold)
            row += 1
            lines = [figures[key]] if key == "total" else figures[key]
            for line in lines:
                sheet.write_string(row, 0, safe_text(line["label"]))
                sheet.write_number(row, 1, line["count"])
                sheet.write_number(row, 2, float(line["amount"]), money)
                sheet.write_number(row, 3, line["paid_count"])
                sheet.write_number(row, 4, float(line["paid_amount"]), money)
                row += 1
            row += 1
        book.close()
        return buffer.getvalue()
