# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError


class SppProgramContribution(models.Model):
    """Money a donor (or the treasury) put into a program. It counts in the
    program's fund once approved (maker-checker), at the amount converted into
    the program's currency on approval, frozen with its rate."""

    _name = "spp.program.contribution"
    _inherit = ["spp.approval.mixin"]
    _description = "Program Contribution"
    _order = "date desc, id desc"

    program_id = fields.Many2one(
        "spp.program", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    donor_id = fields.Many2one("res.partner", required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    program_currency_id = fields.Many2one(
        related="program_id.currency_id", string="Program Currency"
    )
    amount_program = fields.Monetary(
        string="Amount in Program Currency",
        currency_field="program_currency_id",
        readonly=True,
        copy=False,
        help="Frozen when the contribution is approved.",
    )
    rate = fields.Float(readonly=True, copy=False, digits=(12, 6))
    reference = fields.Char(help="The donor's or the bank's reference.")

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "A contribution must be a positive amount."
    )

    def _spp_approval_amount(self):
        return self.amount_program or self.amount

    def _spp_check_can_submit(self):
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            raise UserError(self.env._("A contribution must be a positive amount."))

    def _on_spp_approved(self):
        result = super()._on_spp_approved()
        for contribution in self:
            contribution._spp_freeze_conversion()
        return result

    def _spp_freeze_conversion(self):
        target = self.program_id.currency_id
        converted = self.currency_id._convert(
            self.amount, target, self.program_id.company_id, self.date
        )
        self._spp_write_approval(
            {
                "amount_program": converted,
                "rate": converted / self.amount if self.amount else 0.0,
            }
        )

    @api.depends("program_id", "donor_id", "amount")
    def _compute_display_name(self):
        for contribution in self:
            contribution.display_name = (
                f"{contribution.donor_id.name or ''} → "
                f"{contribution.program_id.name or ''}"
            )
