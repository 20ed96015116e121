# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from odoo.addons.spp_payment_base.models.spp_program_membership import TOTAL_FIELDS


class SppProgramMembership(models.Model):
    _inherit = "spp.program.membership"

    # Inputs of "amount per unit" rules (amount per day worked x days worked).
    days_worked = fields.Integer()
    trainings_attended = fields.Integer()

    @api.model
    def _spp_money_fields(self):
        """Amount inputs drive money too: these two, and whatever field a
        component pays per unit of."""
        rules = self.env["spp.payment.rule"].sudo()
        units = rules.search([("multiplier_field_id", "!=", False)]).mapped(
            "multiplier_field_id.name"
        )
        base = super()._spp_money_fields()
        extra = {"days_worked", "trainings_attended", *units}
        return (*base, *sorted(extra - TOTAL_FIELDS - set(base)))
