# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError


class SppFsp(models.Model):
    """Cash handed out by payment point managers is a provider like any FSP, so
    a payroll's per-FSP summaries and reports include it. "Sending" calls no
    network: the payments are issued to their PPMs and each part's cash float
    is issued; outcomes arrive by PPM reconciliation only."""

    _inherit = "spp.fsp"

    provider = fields.Selection(
        selection_add=[("cash", "Cash at Payment Points")],
        ondelete={"cash": "set default"},
    )

    def _spp_dispatch_chunk_size(self):
        # One delivery per run: every part's float is issued at once.
        if self.provider == "cash":
            return 0
        return super()._spp_dispatch_chunk_size()

    def _spp_send_payments(self, payments):
        if self.provider != "cash":
            return super()._spp_send_payments(payments)
        self._spp_check_usable()
        loose = payments.filtered(lambda p: not p.payroll_point_id.manager_id)
        if loose:
            raise UserError(
                self.env._(
                    "Cash payments with no payment point manager: %s.",
                    payments._spp_refs(loose),
                )
            )
        sent = payments._set_sent(
            reason=self.env._("Issued in cash to their payment point manager.")
        )
        self.env["spp.ppm.float"]._spp_issue_for(payments)
        return sent

    def _spp_supports_status_query(self):
        if self.provider == "cash":
            return False
        return super()._spp_supports_status_query()

    def _spp_fetch_status(self, payments):
        if self.provider == "cash":
            raise UserError(
                self.env._(
                    "Cash payments have no status to query: their outcomes come "
                    "from the payment point managers' reconciliation."
                )
            )
        return super()._spp_fetch_status(payments)

    def _spp_handle_callback(self, data):
        if self.provider == "cash":
            raise UserError(self.env._("The cash provider accepts no callbacks."))
        return super()._spp_handle_callback(data)

    def _spp_parse_callback(self, payload, kind=None):
        if self.provider == "cash":
            raise ValueError("the cash provider sends no callbacks")
        return super()._spp_parse_callback(payload, kind=kind)
