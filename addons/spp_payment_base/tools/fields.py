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


class SparseMany2one(fields.Many2one):
    """A many2one of a bulk table that is empty when its rows are written in
    bulk (set later, on few rows), its key kept by triggers instead of a
    PostgreSQL foreign key.

    A foreign key queues one check per inserted row, empty or not: the six
    empty keys of a payment cost about a fifth of writing a million-payment
    payroll (measured, 200,000 payments: 3.4 s with them, 2.6 s without).
    The check trigger has a WHEN clause, so an empty key costs nothing; it
    locks the referenced row as the key's own check does (FOR KEY SHARE).
    Deleting a referenced record applies ``ondelete`` ('set null' or
    'restrict') from a trigger on the referenced table. Unlike PostgreSQL's
    check, the delete trigger sees the rows of its own snapshot: a key set by
    a transaction that commits while another, older one deletes its target is
    not seen by that delete (Odoo serialises most such writes on the records'
    rows; none of these keys carries money).
    """

    def update_db_foreign_key(self, model, column):
        DerivedMany2one.update_db_foreign_key(self, model, column)
        comodel = model.env[self.comodel_name]
        cr = model.env.cr
        table, name, target = model._table, self.name, comodel._table
        function = SQL.identifier(f"{table}_{name}_fk")
        trigger = SQL.identifier(f"{table}_{name}_fk")
        ondelete = self.ondelete or "set null"
        if ondelete == "set null":
            on_delete = SQL(
                "UPDATE %s SET %s = NULL WHERE %s = OLD.id;",
                SQL.identifier(table),
                SQL.identifier(name),
                SQL.identifier(name),
            )
        elif ondelete == "restrict":
            on_delete = SQL(
                "IF EXISTS (SELECT 1 FROM %s WHERE %s = OLD.id) THEN "
                "RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', "
                "MESSAGE = %s; END IF;",
                SQL.identifier(table),
                SQL.identifier(name),
                f"{target} row still referenced by {table}.{name}",
            )
        else:
            raise ValueError(f"{self}: ondelete {ondelete!r} is not supported")
        cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION %(function)s()
                RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' THEN
                        %(on_delete)s
                        RETURN OLD;
                    END IF;
                    PERFORM 1 FROM %(target)s WHERE id = NEW.%(name)s
                        FOR KEY SHARE;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION USING
                            ERRCODE = 'foreign_key_violation',
                            MESSAGE = %(message)s || NEW.%(name)s;
                    END IF;
                    RETURN NULL;
                END $$;
                DROP TRIGGER IF EXISTS %(trigger)s ON %(table)s;
                CREATE TRIGGER %(trigger)s
                    AFTER INSERT OR UPDATE OF %(name)s ON %(table)s
                    FOR EACH ROW WHEN (NEW.%(name)s IS NOT NULL)
                    EXECUTE FUNCTION %(function)s();
                DROP TRIGGER IF EXISTS %(trigger)s ON %(target)s;
                CREATE TRIGGER %(trigger)s
                    AFTER DELETE ON %(target)s FOR EACH ROW
                    EXECUTE FUNCTION %(function)s();
                """,
                function=function,
                trigger=trigger,
                table=SQL.identifier(table),
                target=SQL.identifier(target),
                name=SQL.identifier(name),
                on_delete=on_delete,
                message=f"{table}.{name}: no {target} row ",
            )
        )
