# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import LockError, UserError


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    fund_available = fields.Monetary(
        related="program_id.fund_available", string="Program Fund Left"
    )
    fund_control = fields.Boolean(related="program_id.fund_control")

    def _spp_payable_total(self):
        """What approving this payroll commits: its payments but those the
        approval cancels (rejected by the cycle's rules)."""
        self.ensure_one()
        self.env["spp.payment"].flush_model(["amount", "entitlement_rejected"])
        self.env.cr.execute(
            "SELECT COALESCE(sum(amount), 0) FROM spp_payment "
            "WHERE payroll_id = %s AND state = 'draft' "
            "AND NOT COALESCE(entitlement_rejected, false)",
            [self.id],
        )
        return self.env.cr.fetchone()[0]

    def _spp_check_can_approve(self):
        # Checked before the approval is written, so a refusal changes nothing.
        result = super()._spp_check_can_approve()
        self._spp_check_funds()
        return result

    def _spp_check_funds(self):
        program, cycle = self.program_id, self.cycle_id
        if not program.fund_control and not cycle.budget_amount:
            return
        # Two payrolls of a program approved at once must not both fit in the
        # same money: the program's row serialises the checks.
        try:
            program.sudo().lock_for_update()
        except LockError as error:
            raise UserError(
                self.env._(
                    "Another approval of %s is checking its fund; try again.",
                    program.display_name,
                )
            ) from error
        total = self._spp_payable_total()
        currency = self.currency_id
        if program.fund_control:
            fund = program.sudo()._spp_fund()
            short = fund.shortfall(total)
            if short:
                raise UserError(
                    self.env._(
                        "%(payroll)s cannot be approved: its total %(total)s exceeds "
                        "the fund left %(left)s by %(short)s (received %(received)s, "
                        "paid out %(paid)s, committed by other approved payrolls "
                        "%(committed)s).",
                        payroll=self.display_name,
                        total=currency.format(float(total)),
                        left=currency.format(float(fund.available)),
                        short=currency.format(float(short)),
                        received=currency.format(float(fund.received)),
                        paid=currency.format(float(fund.disbursed)),
                        committed=currency.format(float(fund.committed)),
                    )
                )
        if cycle.budget_amount:
            budget = cycle.sudo()._spp_budget_fund()
            short = budget.shortfall(total)
            if short:
                raise UserError(
                    self.env._(
                        "%(payroll)s cannot be approved: its total %(total)s exceeds "
                        "what is left of the budget of %(cycle)s, %(left)s, by "
                        "%(short)s (budget %(budget)s, paid %(paid)s, committed "
                        "%(committed)s).",
                        payroll=self.display_name,
                        total=currency.format(float(total)),
                        cycle=cycle.display_name,
                        left=currency.format(float(budget.available)),
                        short=currency.format(float(short)),
                        budget=currency.format(float(budget.received)),
                        paid=currency.format(float(budget.disbursed)),
                        committed=currency.format(float(budget.committed)),
                    )
                )

    def action_preview(self):
        """The dry run also says whether the payroll fits in the fund."""
        preview = super().action_preview()
        if self.program_id.fund_control:
            preview["fund_left"] = float(self.program_id.sudo()._spp_fund().available)
            self.preview = preview
        return preview
