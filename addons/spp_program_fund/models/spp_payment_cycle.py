# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import funds

from odoo import fields, models

from .spp_program import _fund_rows


class SppPaymentCycle(models.Model):
    _inherit = "spp.payment.cycle"

    budget_amount = fields.Monetary(
        string="Budget",
        currency_field="currency_id",
        help="Most this cycle may pay and commit; empty for no cycle budget.",
    )

    def _spp_budget_fund(self):
        """The cycle's budget as a Fund: what its payments paid and commit."""
        self.ensure_one()
        return funds.fund_from_rows(
            self.budget_amount,
            _fund_rows(self.env, "cycle_id", self.id),
            self.currency_id.decimal_places,
        )
