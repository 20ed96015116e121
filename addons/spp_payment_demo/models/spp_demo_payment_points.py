# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

# The PPMs of the demo: portal users who log in to /ppm with these passwords.
DEMO_PPMS = [
    {
        "login": "ppm1",
        "name": "Amina Lokale",
        "phone": "+254711000101",
        "id": "PPM-001",
    },
    {"login": "ppm2", "name": "Brian Ekai", "phone": "+254711000102", "id": "PPM-002"},
]


class SppDemoGenerator(models.AbstractModel):
    _inherit = "spp.demo.generator"

    @api.model
    def _demo_payment_point_managers(self, users):
        """Two payment point managers the officer registered and submitted,
        waiting for a manager's approval; their points come from the criteria
        file the officer uploads (data/files/payment_points*.csv)."""
        managers = self.env["spp.payment.point.manager"]
        for spec in DEMO_PPMS:
            if managers.search_count([("user_id.login", "=", spec["login"])]):
                continue
            manager = managers.with_user(users["officer"]).create(
                {
                    "name": spec["name"],
                    "login": spec["login"],
                    "phone": spec["phone"],
                    "id_number": spec["id"],
                }
            )
            # A demo password, set by the administrator running the generator.
            manager.user_id.sudo().password = spec["login"]
            manager.action_submit()
