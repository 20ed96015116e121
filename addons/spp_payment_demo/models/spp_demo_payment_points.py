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
        """Two payment point managers the officer registered, in draft: the
        officer assigns them the points of the criteria file they upload
        (data/files/payment_points*.csv), then submits them for approval."""
        managers = self.env["spp.payment.point.manager"]
        for spec in DEMO_PPMS:
            if managers.search_count([("user_id.login", "=", spec["login"])]):
                continue
            managers.with_user(users["officer"]).create(
                {
                    "name": spec["name"],
                    "login": spec["login"],
                    "phone": spec["phone"],
                    "id_number": spec["id"],
                }
            )
            # A demo password, set by the administrator running the generator.
            self.env["res.users"].search(
                [("login", "=", spec["login"])]
            ).password = spec["login"]
