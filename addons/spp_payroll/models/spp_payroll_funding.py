# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError

FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"
BALANCE_STATES = [("unknown", "Unknown"), ("pending", "Pending"), ("known", "Known")]


class SppPayrollFundingConfirmation(models.Model):
    """A Finance Manager's word that an FSP account holds what a payroll will
    pay through it, given when the FSP's balance is not known (no balance API,
    no answer yet, or a stale figure). An execution consumes it: it is then
    recorded on the run. Never edited: a new amount needs a new confirmation."""

    _name = "spp.payroll.funding.confirmation"
    _description = "Payroll Funding Confirmation"
    _order = "id desc"

    payroll_id = fields.Many2one(
        "spp.payroll", required=True, index=True, readonly=True, ondelete="cascade"
    )
    fsp_id = fields.Many2one("spp.fsp", string="FSP", required=True, readonly=True)
    currency_id = fields.Many2one(related="fsp_id.currency_id")
    run_id = fields.Many2one(
        "spp.payroll.run", index=True, readonly=True, ondelete="set null"
    )
    user_id = fields.Many2one("res.users", string="Confirmed By", readonly=True)
    confirmed_date = fields.Datetime(readonly=True)
    amount_to_pay = fields.Monetary(currency_field="currency_id", readonly=True)
    note = fields.Text(required=True, readonly=True)
    balance_state = fields.Selection(
        BALANCE_STATES, string="Balance at the Time", readonly=True
    )
    balance_reason = fields.Char(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(
                self.env._("Only a Finance Manager confirms a payroll's funding.")
            )
        for vals in vals_list:
            vals.update(user_id=self.env.uid, confirmed_date=fields.Datetime.now())
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) - {"run_id"} or not self.env.su:
            raise AccessError(self.env._("A funding confirmation is never changed."))
        return super().write(vals)
