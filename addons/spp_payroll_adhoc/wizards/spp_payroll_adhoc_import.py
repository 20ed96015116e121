# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Upload of an ad-hoc payroll's file (CSV or XLSX, format in readme/USAGE.md):
the whole file is checked first (spp_payment_core.adhoc) and every bad cell
explained by row, column and reason; only a clean file writes anything."""

import base64

from spp_payment_core import adhoc
from spp_payment_core.money import rounding_to_places

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import reopen_wizard


class SppPayrollAdhocImport(models.TransientModel):
    _name = "spp.payroll.adhoc.import"
    _inherit = ["spp.table.import.mixin"]
    _description = "Upload Ad-hoc Payroll Payees"

    payroll_id = fields.Many2one(
        "spp.payroll",
        required=True,
        readonly=True,
        ondelete="cascade",
        domain=[("kind", "=", "adhoc"), ("approval_state", "=", "draft")],
    )
    error_ids = fields.One2many(
        "spp.payroll.adhoc.import.error", "import_id", readonly=True
    )
    payment_count = fields.Integer(readonly=True)
    new_payee_count = fields.Integer(readonly=True)

    def action_import(self):
        """Import a clean file into the payroll, or nothing and say why."""
        self.ensure_one()
        payroll = self.payroll_id
        payroll._spp_adhoc_check_importable()
        if not self.data:
            raise UserError(self.env._("Choose the file to upload."))
        result = self._spp_validate(base64.b64decode(self.data))
        if self._spp_show_errors(result.errors):
            return reopen_wizard(self)
        payroll._spp_adhoc_import(result, self.file_name or "upload")
        self.write(
            {
                "state": "done",
                "payment_count": len(result.registrant_rows),
                "new_payee_count": len(result.new_payees),
            }
        )
        return reopen_wizard(self)

    def action_close(self):
        """Close the dialog; the payroll's form behind it reloads."""
        return {"type": "ir.actions.act_window_close"}

    # Validation ------------------------------------------------------------

    def _spp_validate(self, raw):
        """The file's rows and every problem in it, as TableErrors."""
        table, error = self._spp_read_table(raw)
        if error:
            return adhoc.AdhocResult([], [error])
        payroll = self.payroll_id
        program = payroll.program_id
        return adhoc.validate(
            table,
            self._spp_registrants(adhoc.column_texts(table, "registrant_id")),
            self._spp_fsps(),
            decimal_places=rounding_to_places(program.currency_id.rounding),
            target_type=program.target_type,
            default_country_code=program.company_id.country_id.phone_code or None,
        )

    @api.model
    def _spp_chunks(self, values, size=50_000):
        values = sorted(values)
        for start in range(0, len(values), size):
            yield values[start : start + size]

    def _spp_registrants(self, numbers):
        """{registrant ID: adhoc.Registrant} for the file's IDs, in one query
        per 50,000 IDs: each with its membership in the program and its live
        payment in the payroll's cycle, if any."""
        self.env["res.partner"].check_access("read")
        self.env.flush_all()
        payroll = self.payroll_id
        found = {}
        for chunk in self._spp_chunks(numbers):
            self.env.cr.execute(
                SQL(
                    """
                    SELECT r.registrant_number, r.id, r.registrant_type, m.id,
                           m.state, m.fsp_id, q.reference
                      FROM res_partner r
                 LEFT JOIN spp_program_membership m
                        ON m.partner_id = r.id AND m.program_id = %(program)s
                 LEFT JOIN spp_payment q
                        ON q.live_cycle_id = %(cycle)s AND q.membership_id = m.id
                     WHERE r.registrant_number = ANY(%(numbers)s)
                       AND r.is_registrant AND r.active
                       AND (r.company_id IS NULL OR r.company_id = %(company)s)
                    """,
                    program=payroll.program_id.id,
                    cycle=payroll.cycle_id.id,
                    numbers=chunk,
                    company=payroll.company_id.id,
                )
            )
            rows = self.env.cr.fetchall()
            for number, partner, kind, member, state, fsp, live in rows:
                found[number] = adhoc.Registrant(
                    partner, kind or "", member, state, fsp, live or ""
                )
        return found

    def _spp_fsps(self):
        """{lower-case name: id, or [ids] when several share it} of the FSPs
        of the payroll's company."""
        fsps = self.env["spp.fsp"].search_read(
            [("company_id", "in", [self.payroll_id.company_id.id, False])], ["name"]
        )
        return self._spp_ids_by_key(
            (fsp["name"].strip().lower(), fsp["id"]) for fsp in fsps
        )


class SppPayrollAdhocImportError(models.TransientModel):
    _name = "spp.payroll.adhoc.import.error"
    _inherit = ["spp.table.import.error.mixin"]
    _description = "Ad-hoc Payroll Upload Problem"

    import_id = fields.Many2one(
        "spp.payroll.adhoc.import", required=True, ondelete="cascade"
    )
