# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import funds

from odoo import fields, models
from odoo.tools import SQL


def _fund_rows(env, column, value):
    """(state, amount, None) per payment state of the payments whose ``column``
    is ``value``; a paid payment counts what the FSP paid when it said so."""
    env["spp.payment"].flush_model(["state", "amount", "paid_amount", column])
    env.cr.execute(
        SQL(
            "SELECT state, sum(CASE WHEN state = 'paid' "
            "THEN COALESCE(NULLIF(paid_amount, 0), amount) ELSE amount END) "
            "FROM spp_payment WHERE %s = %s AND state = ANY(%s) GROUP BY state",
            SQL.identifier(column),
            value,
            sorted(funds.COMMITTED_STATES | funds.DISBURSED_STATES),
        )
    )
    return [(state, amount, None) for state, amount in env.cr.fetchall()]


class SppProgram(models.Model):
    _inherit = "spp.program"

    fund_control = fields.Boolean(
        string="Check Funds Before Approval",
        help="A payroll of this program is approved only when its total fits in "
        "the fund left: approved contributions less what was paid and what other "
        "approved payrolls have committed.",
    )
    contribution_ids = fields.One2many("spp.program.contribution", "program_id")
    fund_received = fields.Monetary(compute="_compute_fund", string="Received")
    fund_disbursed = fields.Monetary(compute="_compute_fund", string="Paid Out")
    fund_committed = fields.Monetary(compute="_compute_fund", string="Committed")
    fund_available = fields.Monetary(compute="_compute_fund", string="Fund Left")

    def _compute_fund(self):
        for program in self:
            fund = program._spp_fund()
            program.fund_received = float(fund.received)
            program.fund_disbursed = float(fund.disbursed)
            program.fund_committed = float(fund.committed)
            program.fund_available = float(fund.available)

    def _spp_fund(self):
        """The program's Fund, from two SQL aggregates (no payment loaded)."""
        self.ensure_one()
        if not self.id:
            return funds.Fund(0, 0, 0)
        Contribution = self.env["spp.program.contribution"].sudo()
        Contribution.flush_model()
        self.env.cr.execute(
            "SELECT COALESCE(sum(amount_program), 0) FROM spp_program_contribution "
            "WHERE program_id = %s AND approval_state = 'approved'",
            [self.id],
        )
        received = self.env.cr.fetchone()[0]
        return funds.fund_from_rows(
            received,
            _fund_rows(self.env, "program_id", self.id),
            self.currency_id.decimal_places,
        )
