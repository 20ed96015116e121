# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What payments point to without a foreign key cannot be deleted (the Python
side of ``DerivedMany2one``)."""

from odoo import api, models


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
