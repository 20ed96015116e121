# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Import of a criteria file (CSV or XLSX, format in readme/USAGE.md): the whole
file is checked first and every bad cell explained by row, column and reason;
only a clean file creates its points, all at once, each submitted for approval
by someone other than the uploader."""

import base64

from spp_payment_core import points

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.spp_payment_base.tools import reopen_wizard


class SppPaymentPointImport(models.TransientModel):
    _name = "spp.payment.point.import"
    _inherit = ["spp.table.import.mixin"]
    _description = "Import Payment Points"

    program_id = fields.Many2one(
        "spp.program", help="The program the points serve; empty: any program."
    )
    error_ids = fields.One2many(
        "spp.payment.point.import.error", "import_id", readonly=True
    )
    point_ids = fields.Many2many("spp.payment.point", readonly=True)

    def action_import(self):
        """Create and submit every point of a clean file, or none and say why."""
        self.ensure_one()
        Point = self.env["spp.payment.point"]
        Point.check_access("create")
        if not self.data:
            raise UserError(self.env._("Choose the file to import."))
        rows, errors, area_ids = self._spp_parse(base64.b64decode(self.data))
        if self._spp_show_errors(errors):
            return self._spp_reopen()
        created = Point.create([self._spp_point_vals(row, area_ids) for row in rows])
        created.action_submit()
        self.write({"state": "done", "point_ids": [Command.set(created.ids)]})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Imported payment points"),
            "res_model": "spp.payment.point",
            "view_mode": "list,form",
            "domain": [("id", "in", created.ids)],
        }

    def _spp_reopen(self):
        return reopen_wizard(self)

    # Validation ------------------------------------------------------------

    def _spp_parse(self, raw):
        """(rows, errors, area ids by code): the file's points, and every
        TableError in it."""
        table, error = self._spp_read_table(raw)
        if error:
            return [], [error], {}
        Point = self.env["spp.payment.point"]
        columns, errors = points.criteria_columns(table, Point._spp_criteria_field)
        lookups = {
            column.path: self._spp_lookup(
                Point._spp_path_comodel(column.path),
                column.spec.key_name,
                points.column_texts(table, column),
            )
            for column in columns
            if column.spec.kind == "many2one"
        }
        area_codes = {
            code: ids
            for code, ids in self._spp_lookup(
                self.env["spp.area"], "code", self._spp_texts(table, "area_code")
            ).items()
            if not isinstance(ids, list)
        }
        codes = self._spp_texts(table, "code")
        existing = Point.with_context(active_test=False).search(
            [("company_id", "=", self._spp_company().id), ("code", "in", list(codes))]
        )
        result = points.parse_points(
            table, columns, lookups, set(existing.mapped("code")), area_codes
        )
        return result.rows, errors + result.errors, area_codes

    @staticmethod
    def _spp_texts(table, column):
        position = table.index(column, required=False)
        if position is None:
            return set()
        return {
            cells[position].strip()
            for _n, cells in table.rows
            if position < len(cells) and cells[position].strip()
        }

    @api.model
    def _spp_lookup(self, model, key, texts):
        """{text: id, or [ids] when several records have it}, in one query."""
        if not texts:
            return {}
        return self._spp_ids_by_key(
            (str(record[key]), record["id"])
            for record in model.search_read([(key, "in", list(texts))], [key])
        )

    def _spp_company(self):
        return self.program_id.company_id or self.env.company

    def _spp_point_vals(self, row, area_ids):
        vals = {
            "name": row.name,
            "code": row.code,
            "company_id": self._spp_company().id,
            "program_id": self.program_id.id,
            "area_id": area_ids.get(row.area_code, False),
            "address": row.address or False,
            "criteria_domain": repr(row.domain()),
        }
        if row.latitude is not None:
            vals.update(latitude=float(row.latitude), longitude=float(row.longitude))
        if row.radius_m is not None:
            vals["radius_m"] = row.radius_m
        if row.capacity is not None:
            vals["capacity"] = row.capacity
        return vals


class SppPaymentPointImportError(models.TransientModel):
    _name = "spp.payment.point.import.error"
    _inherit = ["spp.table.import.error.mixin"]
    _description = "Payment Point Import Problem"

    import_id = fields.Many2one(
        "spp.payment.point.import", required=True, ondelete="cascade"
    )
