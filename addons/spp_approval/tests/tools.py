# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Helpers for the tests of modules built on spp_approval."""

from odoo.tools import SQL


def mark_approved(record):
    """Approved without its maker-checker round (spp_approval's own tests and
    each document's test it): for fixtures that only need a document in that
    state."""
    record.flush_recordset()
    record.env.cr.execute(
        SQL(
            "UPDATE %s SET approval_state = 'approved' WHERE id = %s",
            SQL.identifier(record._table),
            record.id,
        )
    )
    record.invalidate_recordset()
