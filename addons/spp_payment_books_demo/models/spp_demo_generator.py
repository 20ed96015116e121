# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class SppDemoGenerator(models.AbstractModel):
    _inherit = "spp.demo.generator"

    @api.model
    def _generate(self, households=300, max_members=6, seed=0.42):
        result = super()._generate(
            households=households, max_members=max_members, seed=seed
        )
        self.env["spp.demo.books"]._build(self._create_demo_users())
        return result

    @api.model
    def _demo_update(self, base_url):
        """Also the books demo, into a demo database made before it."""
        result = super()._demo_update(base_url)
        self.env["spp.demo.books"]._build(self._create_demo_users())
        return result
