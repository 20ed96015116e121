# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class SppArea(models.Model):
    _name = "spp.area"
    _description = "Administrative Area"
    _parent_store = True
    _parent_name = "parent_id"
    _order = "complete_name"
    _rec_name = "complete_name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(index=True)
    parent_id = fields.Many2one("spp.area", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("spp.area", "parent_id", string="Sub-areas")
    complete_name = fields.Char(
        compute="_compute_complete_name", store=True, recursive=True
    )
    level = fields.Integer(compute="_compute_complete_name", store=True, recursive=True)
    active = fields.Boolean(default=True)

    _code_unique = models.UniqueIndex(
        "(code) WHERE code IS NOT NULL", "An area code must be unique."
    )

    @api.depends("name", "parent_id.complete_name", "parent_id.level")
    def _compute_complete_name(self):
        for area in self:
            if area.parent_id:
                area.complete_name = f"{area.parent_id.complete_name} / {area.name}"
                area.level = area.parent_id.level + 1
            else:
                area.complete_name = area.name
                area.level = 0

    @api.constrains("parent_id")
    def _check_parent_id(self):
        if self._has_cycle():
            raise models.ValidationError(self.env._("Areas cannot contain themselves."))
