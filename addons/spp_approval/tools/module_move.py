# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Hand models and their records from one module to another in an existing
database, before the new module loads its data.

Without this, installing the new module would create a second copy of every view,
access right and record rule, and updating the old one would delete the originals
(or keep both, for ``noupdate`` records). Moving the external ids keeps every
record, and the database ends up as a fresh install of the new layout would be.
"""

from odoo.tools import SQL

# External ids Odoo derives from a model's table name (see ir.model reflection)
# and the ones our data files use for a model's views, actions, rights and rules.
_PREFIXES = (
    "model_%s",
    "model_inherit__%s__%%",
    "field_%s__%%",
    "selection__%s__%%",
    "constraint_%s_%%",
    "view_%s_%%",
    "action_%s",
    "action_%s_%%",
    "access_%s_%%",
    "rule_%s_%%",
)


def _like_escape(text):
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def xmlid_patterns(models, names=()):
    """LIKE patterns of the external ids of ``models`` (dotted names), plus the
    exact ``names``."""
    patterns = []
    for model in models:
        table = _like_escape(model.replace(".", "_"))
        patterns += [prefix.replace("%s", table) for prefix in _PREFIXES]
    return patterns + [_like_escape(name) for name in names]


def move_models(cr, models, old_module, new_module, names=()):
    """Give ``new_module`` the external ids, constraints and many2many tables of
    ``models`` that ``old_module`` created, and the records it named ``names``.
    Idempotent: nothing happens on a database that never had the old layout, and
    an id the new module already owns is left alone. Returns how many external
    ids moved."""
    cr.execute(
        SQL(
            """
            UPDATE ir_model_data d SET module = %(new)s
             WHERE d.module = %(old)s AND d.name LIKE ANY(%(patterns)s)
               AND NOT EXISTS (SELECT 1 FROM ir_model_data o
                                WHERE o.module = %(new)s AND o.name = d.name)
            """,
            new=new_module,
            old=old_module,
            patterns=xmlid_patterns(models, names),
        )
    )
    moved = cr.rowcount
    for table in ("ir_model_constraint", "ir_model_relation"):
        # Uninstalling the old module must not drop the new one's schema.
        cr.execute(
            SQL(
                """
                UPDATE %(table)s t SET module = new.id
                  FROM ir_module_module old, ir_module_module new, ir_model m
                 WHERE old.name = %(old)s AND new.name = %(new)s
                   AND t.module = old.id AND t.model = m.id
                   AND m.model = ANY(%(models)s)
                   AND NOT EXISTS (SELECT 1 FROM %(table)s o
                                    WHERE o.module = new.id AND o.name = t.name)
                """,
                table=SQL.identifier(table),
                old=old_module,
                new=new_module,
                models=list(models),
            )
        )
    return moved
