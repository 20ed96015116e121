# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every upload of a table (CSV or XLSX) shares: the file, the problems
found in it listed by row, column and reason, and lookups of the keys it names.
The whole file is checked before anything is written; the wizard that inherits
this says what a clean file creates."""

from spp_payment_core import tables

from odoo import Command, api, fields, models

SHOWN_ERRORS = 1000


class SppTableImportMixin(models.AbstractModel):
    _name = "spp.table.import.mixin"
    _description = "Upload of a Table Checked Whole"

    data = fields.Binary(string="File", attachment=False)
    file_name = fields.Char()
    state = fields.Selection(
        [("new", "New"), ("error", "Errors"), ("done", "Imported")],
        default="new",
        readonly=True,
    )
    error_count = fields.Integer(readonly=True)

    def _spp_read_table(self, raw):
        """(table, None), or (None, the TableError) for a file that is no table."""
        try:
            return tables.read_table(raw, self.file_name or "upload"), None
        except tables.TableError as error:
            return None, error

    def _spp_show_errors(self, errors):
        """List the first SHOWN_ERRORS ``errors`` (TableErrors) on the wizard,
        count them all, and say whether there were any."""
        self.error_ids = [Command.clear()] + [
            Command.create(
                {"row": e.row or 0, "column": e.column or "", "reason": e.message}
            )
            for e in errors[:SHOWN_ERRORS]
        ]
        self.error_count = len(errors)
        if errors:
            self.state = "error"
        return bool(errors)

    @api.model
    def _spp_ids_by_key(self, pairs):
        """{key: id, or [ids] when several records share the key} from
        (key, id) pairs: an ambiguous key is reported, never guessed."""
        found = {}
        for key, record_id in pairs:
            if key in found:
                known = found[key]
                found[key] = (known if isinstance(known, list) else [known]) + [
                    record_id
                ]
            else:
                found[key] = record_id
        return found


class SppTableImportErrorMixin(models.AbstractModel):
    _name = "spp.table.import.error.mixin"
    _description = "Problem in an Uploaded Table"
    _order = "row, id"

    row = fields.Integer(help="Row of the file, the header being row 1.")
    column = fields.Char()
    reason = fields.Char()
