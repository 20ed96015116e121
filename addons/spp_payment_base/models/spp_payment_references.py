# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What payments point to without a foreign key cannot be deleted (the Python
side of ``DerivedMany2one``)."""

from odoo import api, models
from odoo.exceptions import UserError


class SppProgram(models.Model):
    _inherit = "spp.program"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_paid_from(self):
        self.env["spp.payment"]._spp_refuse_unlink_of(self, "program_id")


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_payment_author(self):
        self.env["spp.payment"].sudo()._spp_refuse_unlink_of(
            self, "create_uid", "write_uid"
        )
        # The evidence of their payment edits names them.
        if (
            self.env["spp.payment.change"]
            .sudo()
            .search_count([("user_id", "in", self.ids)], limit=1)
        ):
            raise UserError(
                self.env._(
                    "%s edited payments: archive the user instead.",
                    ", ".join(self.mapped("display_name")),
                )
            )
