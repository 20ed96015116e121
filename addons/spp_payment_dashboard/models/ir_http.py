# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

from .spp_payment_dashboard import VIEWER


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def session_info(self):
        """SPP users without a home action of their own land on the dashboard
        instead of Discuss; a home action set on the user still wins."""
        info = super().session_info()
        user = self.env.user
        if (
            not info.get("home_action_id")
            and user._is_internal()
            and user.has_group(VIEWER)
        ):
            action = self.env.ref(
                "spp_payment_dashboard.action_spp_payment_dashboard",
                raise_if_not_found=False,
            )
            if action:
                info["home_action_id"] = action.id
        return info
