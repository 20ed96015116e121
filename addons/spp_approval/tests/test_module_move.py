# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase
from odoo.tools import SQL

from ..hooks import FORMER_MODULE, MODELS
from ..tools import move_models
from ..tools.module_move import xmlid_patterns


class TestModuleMove(TransactionCase):
    """The pre_init_hook's move, on this database put back as it was before the
    split: spp_approval's ids and constraints named after the former module."""

    def _owned_by(self, module, names):
        self.env.cr.execute(
            SQL(
                "SELECT name FROM ir_model_data WHERE module = %s AND name = ANY(%s)",
                module,
                list(names),
            )
        )
        return {name for (name,) in self.env.cr.fetchall()}

    def _constraint_modules(self):
        self.env.cr.execute(
            """
            SELECT DISTINCT mm.name FROM ir_model_constraint c
              JOIN ir_model m ON m.id = c.model
              JOIN ir_module_module mm ON mm.id = c.module
             WHERE m.model = 'spp.approval.policy'
            """
        )
        return {name for (name,) in self.env.cr.fetchall()}

    def test_moves_the_models_records_and_nothing_else(self):
        # The moved models' ids (models added since, e.g. contributors, never
        # lived in the former module).
        self.env.cr.execute(
            SQL(
                "SELECT name FROM ir_model_data WHERE module = 'spp_approval' "
                "AND model <> 'res.groups' AND name LIKE ANY(%s)",
                xmlid_patterns(MODELS),
            )
        )
        ours = {name for (name,) in self.env.cr.fetchall()}
        self.assertTrue(
            {
                "model_spp_approval_policy",
                "field_spp_approval_review__decision",
                "view_spp_approval_policy_form",
                "action_spp_approval_policy",
                "access_spp_approval_policy_admin",
                "rule_spp_approval_policy_company",
            }
            <= ours
        )
        # As before the split.
        self.env.cr.execute(
            SQL(
                "UPDATE ir_model_data SET module = %s WHERE module = 'spp_approval' "
                "AND name = ANY(%s)",
                FORMER_MODULE,
                list(ours),
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE ir_model_constraint c SET module = old.id
                  FROM ir_module_module old, ir_module_module new, ir_model m
                 WHERE old.name = %s AND new.name = 'spp_approval'
                   AND c.module = new.id AND m.id = c.model
                   AND m.model = 'spp.approval.policy'
                """,
                FORMER_MODULE,
            )
        )
        self.assertEqual(self._constraint_modules(), {FORMER_MODULE})
        # Ids of the former module that are not the moved models': a menu it
        # keeps, a model whose name only starts like one, another model's view.
        kept = {"menu_spp_approval_policy", "model_spp_approval_policyx", "view_x"}
        for name in kept:
            self.env["ir.model.data"].create(
                {
                    "module": FORMER_MODULE,
                    "name": name,
                    "model": "res.partner",
                    "res_id": self.env.user.partner_id.id,
                }
            )

        moved = move_models(self.env.cr, MODELS, FORMER_MODULE, "spp_approval")

        self.assertEqual(moved, len(ours))
        self.assertEqual(self._owned_by("spp_approval", ours), ours)
        self.assertEqual(self._constraint_modules(), {"spp_approval"})
        # The former module keeps its own records, the SPP menu of policies too.
        self.assertEqual(self._owned_by(FORMER_MODULE, kept), kept)
        self.assertEqual(
            move_models(self.env.cr, MODELS, FORMER_MODULE, "spp_approval"), 0
        )

    def test_an_id_the_new_module_owns_is_left_alone(self):
        view = self.env.ref("spp_approval.view_spp_approval_policy_form")
        self.env["ir.model.data"].create(
            {
                "module": FORMER_MODULE,
                "name": "view_spp_approval_policy_form",
                "model": "ir.ui.view",
                "res_id": view.id,
            }
        )
        self.assertEqual(
            move_models(self.env.cr, MODELS, FORMER_MODULE, "spp_approval"), 0
        )
        self.assertEqual(
            self._owned_by(FORMER_MODULE, {"view_spp_approval_policy_form"}),
            {"view_spp_approval_policy_form"},
        )
