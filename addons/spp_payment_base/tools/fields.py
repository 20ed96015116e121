# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import contextlib

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
        ondelete = self.ondelete or "set null"
        if ondelete == "set null":
            on_delete = SQL(
                "UPDATE %s SET %s = NULL WHERE %s = OLD.id;",
                SQL.identifier(table),
                SQL.identifier(name),
                SQL.identifier(name),
            )
        elif ondelete == "restrict":
            on_delete = _refuse_if_referenced(table, name, target)
        else:
            raise ValueError(f"{self}: ondelete {ondelete!r} is not supported")
        _create_key_triggers(
            cr,
            table,
            name,
            target,
            on_delete=on_delete,
            on_write=SQL(
                "PERFORM 1 FROM %s WHERE id = NEW.%s FOR KEY SHARE;",
                SQL.identifier(target),
                SQL.identifier(name),
            ),
        )


def _refuse_if_referenced(table, name, target):
    """plpgsql: refuse the delete of ``OLD`` while ``table.name`` names it."""
    return SQL(
        "IF EXISTS (SELECT 1 FROM %s WHERE %s = OLD.id) THEN "
        "RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', "
        "MESSAGE = %s, TABLE = %s; END IF;",
        SQL.identifier(table),
        SQL.identifier(name),
        f"{target} row still referenced by {table}.{name}",
        table,
    )


def _create_key_triggers(cr, table, name, target, on_delete, on_write, when=None):
    """The function and the two triggers that keep ``table.name``, a key to
    ``target``, without a foreign key: ``on_delete`` (plpgsql) runs for each
    deleted target row (``OLD``); ``on_write`` for each row of ``table``
    written with a key (``NEW``, and ``when`` if given), and must leave FOUND
    false when the key names no row (``guard_id`` is there to use)."""
    cr.execute(
        SQL(
            """
            CREATE OR REPLACE FUNCTION %(function)s()
            RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                guard_id integer;
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    %(on_delete)s
                    RETURN OLD;
                END IF;
                %(on_write)s
                IF NOT FOUND THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'foreign_key_violation',
                        MESSAGE = %(missing)s || NEW.%(name)s;
                END IF;
                RETURN NULL;
            END $$;
            DROP TRIGGER IF EXISTS %(trigger)s ON %(table)s;
            CREATE TRIGGER %(trigger)s
                AFTER INSERT OR UPDATE OF %(name)s ON %(table)s
                FOR EACH ROW WHEN (NEW.%(name)s IS NOT NULL %(when)s)
                EXECUTE FUNCTION %(function)s();
            DROP TRIGGER IF EXISTS %(trigger)s ON %(target)s;
            CREATE TRIGGER %(trigger)s
                AFTER DELETE ON %(target)s FOR EACH ROW
                EXECUTE FUNCTION %(function)s();
            """,
            function=SQL.identifier(f"{table}_{name}_fk"),
            trigger=SQL.identifier(f"{table}_{name}_fk"),
            table=SQL.identifier(table),
            target=SQL.identifier(target),
            name=SQL.identifier(name),
            on_delete=on_delete,
            on_write=on_write,
            when=SQL("AND %s", when) if when else SQL(),
            missing=f"{table}.{name}: no {target} row ",
        )
    )


# Name of the setting by which a statement tells GuardedMany2one's row
# triggers of a table that it checks that table's keys itself (see
# keys_checked_by_statement).
KEYS_CHECKED_SETTING = "spp.keys_checked"


class GuardedMany2one(fields.Many2one):
    """A many2one of a bulk table that protects money, kept by triggers that a
    set-based statement may take over, instead of a PostgreSQL foreign key.

    PostgreSQL checks a foreign key with one query per inserted row: the
    payment's membership and payroll keys cost 7.4 of the 20 s of writing a
    million-payment payroll (measured with auto_explain). Generation joins
    every membership it pays and writes its own payroll: it has checked both
    keys already, once for the lot.

    What a foreign key gives, and how it is kept here:

    - a key names an existing row: a row trigger checks it (and locks the row,
      as PostgreSQL's check does), unless the statement said it checks the
      keys itself (``keys_checked_by_statement``);
    - a referenced row is not deleted (``ondelete='restrict'`` only): a
      trigger on the referenced table refuses it;
    - no race between the two. PostgreSQL's own delete check reads the rows
      committed after its snapshot; a trigger cannot. So both sides write one
      *guard* row, and PostgreSQL's write conflict decides: the referenced row
      itself (``guard=None``: deleting it is such a write) or the row its
      ``guard`` column names (a membership's program). A writer of keys
      updates the guard rows of the keys it writes (once per transaction); a
      delete updates the guard row of what it deletes. Whichever commits
      second waits for the first, then fails with a serialization error that
      Odoo retries on a fresh snapshot, which sees the other's rows.
    """

    # The target's column naming the guard row, or None: the target's own row.
    guard = None

    def update_db_foreign_key(self, model, column):
        if (self.ondelete or "restrict") != "restrict":
            raise ValueError(f"{self}: only ondelete='restrict' is supported")
        DerivedMany2one.update_db_foreign_key(self, model, column)
        comodel = model.env[self.comodel_name]
        table, name, target = model._table, self.name, comodel._table
        create_touch_guard_function(model.env.cr)
        if self.guard:
            guard_table = model.env[comodel._fields[self.guard].comodel_name]._table
            guard_column = SQL.identifier(self.guard)
            on_delete_touch = SQL(
                "PERFORM spp_touch_guard(%s, OLD.%s);", guard_table, guard_column
            )
        else:
            guard_table, guard_column = target, SQL("id")
            on_delete_touch = SQL()  # deleting the row is the write
        # The key's target and, through it, its guard row.
        on_write = SQL(
            "SELECT t.%s INTO guard_id FROM %s t WHERE t.id = NEW.%s FOR KEY SHARE; "
            "IF FOUND THEN PERFORM spp_touch_guard(%s, guard_id); END IF;",
            guard_column,
            SQL.identifier(target),
            SQL.identifier(name),
            guard_table,
        )
        _create_key_triggers(
            model.env.cr,
            table,
            name,
            target,
            on_delete=SQL(
                "%s %s", on_delete_touch, _refuse_if_referenced(table, name, target)
            ),
            on_write=on_write,
            when=SQL(
                "current_setting(%s, TRUE) IS DISTINCT FROM %s",
                KEYS_CHECKED_SETTING,
                table,
            ),
        )


def create_touch_guard_function(cr):
    """``spp_touch_guard(table, id)``: write the guard row ``id`` of ``table``
    once per transaction. A transaction-local setting remembers it: it is
    undone with a savepoint rolled back, as the write is (a row's xmin cannot
    tell: in a savepoint it is the savepoint's id, and writing the row again
    for each of a million keys makes one chain of a million versions)."""
    cr.execute(
        SQL(
            """
            CREATE OR REPLACE FUNCTION spp_touch_guard(guard text, guard_id integer)
            RETURNS void LANGUAGE plpgsql AS $$
            DECLARE
                marker text := 'spp.guard_' || guard || '_' || guard_id;
            BEGIN
                IF COALESCE(current_setting(marker, TRUE), '') <> 'written' THEN
                    EXECUTE format(
                        'UPDATE %%I SET write_date = write_date WHERE id = $1',
                        guard) USING guard_id;
                    PERFORM set_config(marker, 'written', TRUE);
                END IF;
            END $$
            """
        )
    )


@contextlib.contextmanager
def keys_checked_by_statement(cr, table, guards):
    """Run set-based writes of ``table`` whose statements check the
    GuardedMany2one keys they write themselves: each joins the rows its keys
    name (they exist in its snapshot). ``guards``: {guard table: ids}, the
    guard rows of those keys, updated first (see GuardedMany2one). The rows'
    triggers skip their per-row check inside the block; a failure inside
    rolls the block back, setting included."""
    with cr.savepoint(flush=False):
        for guard_table, ids in guards.items():
            cr.execute(
                SQL(
                    "SELECT spp_touch_guard(%s, id) FROM unnest(%s::int[]) id",
                    guard_table,
                    list(ids),
                )
            )
        cr.execute(SQL("SELECT set_config(%s, %s, TRUE)", KEYS_CHECKED_SETTING, table))
        yield
        cr.execute(SQL("SELECT set_config(%s, '', TRUE)", KEYS_CHECKED_SETTING))
