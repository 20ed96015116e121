# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class SppGroupMembership(models.Model):
    _name = "spp.group.membership"
    _description = "Household Membership"
    _order = "group_id, role, id"

    group_id = fields.Many2one(
        "res.partner",
        string="Household",
        required=True,
        index=True,
        ondelete="cascade",
        domain=[("registrant_type", "=", "household")],
    )
    individual_id = fields.Many2one(
        "res.partner",
        string="Member",
        required=True,
        index=True,
        ondelete="cascade",
        domain=[("registrant_type", "=", "individual")],
    )
    role = fields.Selection(
        [("head", "Head"), ("member", "Member")], required=True, default="member"
    )

    _member_unique = models.Constraint(
        "UNIQUE(group_id, individual_id)",
        "This person is already a member of that household.",
    )
    _one_head = models.UniqueIndex(
        "(group_id) WHERE role = 'head'", "A household has only one head."
    )

    @api.constrains("group_id", "individual_id")
    def _check_registrant_types(self):
        for membership in self:
            if membership.group_id.registrant_type != "household":
                raise ValidationError(
                    self.env._("%s is not a household.", membership.group_id.name)
                )
            if membership.individual_id.registrant_type != "individual":
                raise ValidationError(
                    self.env._(
                        "%s is not an individual registrant.",
                        membership.individual_id.name,
                    )
                )
