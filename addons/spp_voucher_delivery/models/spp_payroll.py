# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    def _spp_vouchers(self):
        return self.env["spp.voucher"].search(
            [("payment_id.payroll_id", "in", self.ids)], order="id"
        )

    def action_print_voucher_cards(self):
        return self._spp_vouchers().action_print_cards()

    def action_send_vouchers(self, provider):
        return self._spp_vouchers().action_send(provider)
