# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SppAccountMoveMixin(models.AbstractModel):
    """A document whose journal entries name it (``_spp_move_field`` on
    account.move): their count for its smart button, and the action opening
    them."""

    _name = "spp.account.move.mixin"
    _description = "SPP Document with Journal Entries"
    _spp_move_field = None

    count_account_moves = fields.Integer(
        string="Journal Entries Count", compute="_compute_count_account_moves"
    )

    def _compute_count_account_moves(self):
        field = self._spp_move_field
        counts = dict(
            self.env["account.move"]
            .sudo()
            ._read_group([(field, "in", self.ids)], [field], ["__count"])
        )
        for record in self:
            record.count_account_moves = counts.get(record, 0)

    def action_view_account_moves(self):
        self.ensure_one()
        return self.env["account.move"]._spp_open_entries(
            [(self._spp_move_field, "=", self.id)],
            self.env._("Journal Entries of %s", self.display_name),
        )
