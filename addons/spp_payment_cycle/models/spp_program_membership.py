# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppProgramMembership(models.Model):
    _inherit = "spp.program.membership"

    # Inputs of "amount per unit" rules (amount per day worked x days worked).
    days_worked = fields.Integer()
    trainings_attended = fields.Integer()
