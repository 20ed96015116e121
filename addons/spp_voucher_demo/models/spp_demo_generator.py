# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from pathlib import Path

from odoo import api, models

DEMO_USERS = Path(__file__).resolve().parents[1] / "data" / "demo_users.json"


class SppDemoGenerator(models.AbstractModel):
    _inherit = "spp.demo.generator"

    @api.model
    def _demo_user_specs(self):
        return super()._demo_user_specs() + json.loads(DEMO_USERS.read_text())

    @api.model
    def _generate(self, households=300, max_members=6, seed=0.42):
        result = super()._generate(
            households=households, max_members=max_members, seed=seed
        )
        self.env["spp.demo.voucher"]._build(self._create_demo_users())
        return result

    @api.model
    def _demo_update(self, base_url):
        """Also the voucher demo, into a demo database made before it."""
        result = super()._demo_update(base_url)
        self.env["spp.demo.voucher"]._build(self._create_demo_users())
        return result
