# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields
from odoo.tools import SQL


class DerivedMany2one(fields.Many2one):
    """A many2one stored without a PostgreSQL foreign key.

    For columns of bulk tables whose value follows from another, foreign-keyed
    column (a payment's program, beneficiary and currency follow from its
    membership). PostgreSQL checks a foreign key with one query per inserted row:
    on a payroll of a million payments, each key costs about seven seconds.
    Deletion of the referenced records is refused in Python instead (see
    ``spp.payment._spp_refuse_unlink_of``).
    """

    def update_db_foreign_key(self, model, column):
        # Drop the key an earlier version of the module created.
        cr = model.env.cr
        cr.execute(
            SQL(
                """
                SELECT c.conname FROM pg_constraint c
                  JOIN pg_attribute a ON a.attrelid = c.conrelid
                                     AND a.attnum = c.conkey[1]
                 WHERE c.contype = 'f' AND c.conrelid = %s::regclass
                   AND a.attname = %s
                """,
                model._table,
                self.name,
            )
        )
        for (name,) in cr.fetchall():
            cr.execute(
                SQL(
                    "ALTER TABLE %s DROP CONSTRAINT %s",
                    SQL.identifier(model._table),
                    SQL.identifier(name),
                )
            )
