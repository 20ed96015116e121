# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Physical schema of the bulk tables, beyond what the ORM manages."""

import contextlib

from odoo.tools import SQL, sql


def drop_stale_indexes(cr, table, names):
    """Drop indexes an earlier version created and this one dropped on purpose:
    Odoo keeps an index it no longer expects, and on a bulk table every index
    costs each write of every row."""
    for name in names:
        sql.drop_index(cr, name, table)


def set_fillfactor(cr, table, fillfactor, order_index):
    """Leave room on each page of ``table`` so that updates of its unindexed
    columns stay on the page (HOT: no index entry written). A table that
    already holds rows is rewritten once, in ``order_index`` order, to make
    that room; later calls do nothing."""
    cr.execute(SQL("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", table))
    option = f"fillfactor={fillfactor}"
    if option in (cr.fetchone()[0] or []):
        return
    cr.execute(
        SQL(
            "ALTER TABLE %s SET (fillfactor = %s)",
            SQL.identifier(table),
            SQL(str(int(fillfactor))),
        )
    )
    cr.execute(SQL("SELECT 1 FROM %s LIMIT 1", SQL.identifier(table)))
    if cr.rowcount:
        cr.execute(
            SQL(
                "CLUSTER %s USING %s",
                SQL.identifier(table),
                SQL.identifier(order_index),
            )
        )


# Sorts and hashes of a million-payment statement fit in this; PostgreSQL's
# default of 4 MB spills them to disk in a hundred batches.
BULK_WORK_MEM = "256MB"
BULK_ROWS = 50_000


def bulk_work_mem(cr, rows):
    """Settings for the rest of the transaction when a statement spans ``rows``
    rows (SET LOCAL ends with the transaction): room for its sorts and hashes,
    and no JIT, whose compilation of such a statement took longer (1.2 s
    measured) than the expressions it speeds up."""
    if rows >= BULK_ROWS:
        cr.execute(SQL("SET LOCAL work_mem = %s", BULK_WORK_MEM))
        cr.execute(SQL("SET LOCAL jit = off"))


@contextlib.contextmanager
def planner_settings(cr, **settings):
    """Run the block's statements with the planner ``settings`` (e.g.
    ``enable_mergejoin="off"``), then give them back their values: for a
    statement whose estimates PostgreSQL cannot get right (a join on an
    expression over a handful of rows), where the plan it prefers is measured
    slower. After an error in the block they are left to the rollback that
    follows it (a failed transaction runs no statement)."""
    previous = {}
    for name, value in settings.items():
        cr.execute(SQL("SELECT current_setting(%s)", name))
        previous[name] = cr.fetchone()[0]
        cr.execute(SQL("SELECT set_config(%s, %s, true)", name, value))
    yield
    for name, value in previous.items():
        cr.execute(SQL("SELECT set_config(%s, %s, true)", name, value))


def id_array(ids):
    """``ids`` as one ``int[]`` literal, for ``= ANY(%s::int[])``: a list
    parameter becomes ARRAY[...] of one constant per id, which PostgreSQL
    parses and folds a million times (measured 2.4-2.9 s against 1.5-1.7 s
    for the literal, at 1,000,000 ids on a loaded machine)."""
    return "{" + ",".join(map(str, ids)) + "}"


def refresh_statistics(cr, table, inserted):
    """Analyse ``table`` after a load of ``inserted`` rows that can change its
    plans, inside the loading transaction (ANALYZE counts its own new rows).
    Without it a join on the new rows is planned from statistics that do not
    know them (a new batch id absent from them looks like one row) and loops
    over the whole batch per row: one accept that takes 35 s ran for minutes.
    Row counts alone cannot tell: ANALYZE writes them in place, so a rolled
    back load leaves the count of a million rows beside statistics rolled
    back to before it. Sampling costs well under a second."""
    if inserted >= BULK_ROWS:
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))


def required_column_defaults(env, model_name, named):
    """Columns that installed modules make NOT NULL on ``model_name``'s table
    (e.g. account's ``autopost_bills`` on res_partner), beyond those a bulk
    INSERT names (``named``), with their ORM defaults:
    ``{"extra_columns": SQL, "extra_values": SQL}``, each starting with a
    comma, to append to the INSERT's column and value lists."""
    model = env[model_name]
    env.cr.execute(
        SQL(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND is_nullable = 'NO' "
            "AND column_default IS NULL",
            model._table,
        )
    )
    required = [
        name
        for (name,) in env.cr.fetchall()
        if name not in named and name in model._fields
    ]
    defaults = model.default_get(required)
    required = [name for name in required if defaults.get(name) is not None]
    return {
        "extra_columns": SQL("").join(
            SQL(", %s", SQL.identifier(name)) for name in required
        ),
        "extra_values": SQL("").join(SQL(", %s", defaults[name]) for name in required),
    }
