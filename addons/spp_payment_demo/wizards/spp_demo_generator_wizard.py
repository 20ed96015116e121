# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError


class SppDemoGeneratorWizard(models.TransientModel):
    _name = "spp.demo.generator.wizard"
    _description = "Generate Demo Data"

    households = fields.Integer(default=300, required=True)
    max_members = fields.Integer(string="Members per Household, At Most", default=6)

    def action_generate(self):
        self.ensure_one()
        if not 1 <= self.households <= 2_000_000 or self.max_members < 1:
            raise UserError(
                self.env._("Choose 1 to 2,000,000 households and at least 1 member.")
            )
        counts = self.env["spp.demo.generator"]._generate(
            households=self.households, max_members=self.max_members
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Demo data generated"),
                "message": self.env._(
                    "%(households)s households, %(individuals)s individuals, "
                    "%(memberships)s memberships.",
                    **counts,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
