# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"
BALANCE_STATES = [("unknown", "Unknown"), ("pending", "Pending"), ("known", "Known")]


class SppPayrollExecuteWizard(models.TransientModel):
    """Total to pay per FSP against each FSP account's balance, before sending.

    Opening it asks the FSPs that have a balance API and no fresh figure for
    one (the answer may come later: the line is *pending*, Refresh reads it
    again). Nothing is called sufficient without a figure: a balance that is
    pending or unknown needs a Finance Manager's confirmation of the funding."""

    _name = "spp.payroll.execute.wizard"
    _description = "Execute Payroll"

    payroll_id = fields.Many2one("spp.payroll", required=True, ondelete="cascade")
    kind = fields.Selection(
        [("execute", "Execute"), ("retry", "Retry Failed")],
        required=True,
        default="execute",
        readonly=True,
        help="What confirming sends: the approved payments, or the failed and "
        "rejected ones with retries left.",
    )
    line_ids = fields.One2many("spp.payroll.execute.wizard.line", "wizard_id")
    can_execute = fields.Boolean(compute="_compute_can_execute")
    has_short = fields.Boolean(compute="_compute_can_execute")
    needs_confirmation = fields.Boolean(compute="_compute_can_execute")
    can_confirm = fields.Boolean(compute="_compute_can_confirm")
    funding_note = fields.Text(
        help="Finance Manager: how the funding of the FSPs whose balance is not "
        "known was confirmed (e.g. the bank's letter of this morning)."
    )

    @api.depends("line_ids.sufficient", "line_ids.short", "line_ids.confirmed")
    def _compute_can_execute(self):
        for wizard in self:
            lines = wizard.line_ids
            wizard.has_short = any(lines.mapped("short"))
            wizard.needs_confirmation = any(
                not line.sufficient and not line.short and not line.confirmed
                for line in lines
            )
            wizard.can_execute = not (wizard.has_short or wizard.needs_confirmation)

    def _compute_can_confirm(self):
        manager = self.env.user.has_group(FINANCE_MANAGER)
        for wizard in self:
            wizard.can_confirm = manager

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            # One scan of the payments: asking for balances changes no amount.
            totals = wizard.payroll_id._spp_amounts_to_pay(wizard.kind)
            wizard._spp_request_balances(totals=totals)
            wizard._spp_fill_lines(totals=totals)
        return wizards

    def _spp_title(self):
        if self.kind == "retry":
            return self.env._("Retry failed payments of %s", self.payroll_id.name)
        return self.env._("Execute %s", self.payroll_id.name)

    def _spp_check_balances(self, totals=None):
        return self.payroll_id.action_check_balances(self.kind, totals=totals)

    def _spp_request_balances(self, force=False, totals=None):
        """Ask the FSPs with a balance API for a figure: those with none
        fresh, or (``force``, the Refresh button) all without a known one. No
        payment is locked here."""
        self.ensure_one()
        for line in self._spp_check_balances(totals):
            state = line["balance_state"]
            if state == "known" or (state == "pending" and not force):
                continue
            fsp = self.env["spp.fsp"].sudo().browse(line["fsp_id"])
            try:
                fsp._spp_request_balance()
            except (UserError, ValueError, OSError) as error:
                _logger.info("Balance request to FSP %s failed: %s", fsp.id, error)
                fsp._spp_forget_balance(str(error)[:200])

    def _spp_fill_lines(self, totals=None):
        self.line_ids = [(5, 0, 0)] + [
            (
                0,
                0,
                {
                    "fsp_id": line["fsp_id"],
                    "to_pay": line["to_pay"],
                    "balance": line["balance"] or 0.0,
                    "balance_state": line["balance_state"],
                    "balance_date": line["balance_date"],
                    "balance_source": line["balance_source"],
                    "balance_requested": line["balance_requested"],
                    "balance_reason": line["balance_reason"],
                    "sufficient": line["sufficient"],
                    "short": line["short"],
                    "confirmed": bool(line["confirmation_id"]),
                },
            )
            for line in self._spp_check_balances(totals)
        ]

    def _spp_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self._spp_title(),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_refresh(self):
        """Ask again and read the balances that arrived since."""
        self.ensure_one()
        self._spp_request_balances(force=True)
        self._spp_fill_lines()
        return self._spp_reopen()

    def action_confirm_funding(self):
        """Finance Manager: confirm the funding of the FSPs whose balance is
        not known (checked again on the server by the payroll)."""
        self.ensure_one()
        fsp_ids = self.line_ids.filtered(
            lambda line: not line.sufficient and not line.short
        ).fsp_id.ids
        self.payroll_id.action_confirm_funding(fsp_ids, self.funding_note, self.kind)
        self._spp_fill_lines()
        return self._spp_reopen()

    def action_confirm(self):
        self.ensure_one()
        # The payroll checks the balances again: they may have moved.
        if self.kind == "retry":
            self.payroll_id.action_retry_failed()
        else:
            self.payroll_id.action_execute()
        return {"type": "ir.actions.act_window_close"}


class SppPayrollExecuteWizardLine(models.TransientModel):
    _name = "spp.payroll.execute.wizard.line"
    _description = "Execute Payroll: FSP Balance"

    wizard_id = fields.Many2one(
        "spp.payroll.execute.wizard", required=True, ondelete="cascade"
    )
    fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True)
    currency_id = fields.Many2one(related="fsp_id.currency_id")
    to_pay = fields.Monetary(readonly=True)
    balance = fields.Monetary(readonly=True)
    balance_state = fields.Selection(BALANCE_STATES, readonly=True)
    balance_date = fields.Datetime(string="Balance As Of", readonly=True)
    balance_source = fields.Char(readonly=True)
    balance_requested = fields.Datetime(string="Requested At", readonly=True)
    balance_reason = fields.Char(string="Why Not Known", readonly=True)
    sufficient = fields.Boolean(readonly=True)
    short = fields.Boolean(readonly=True)
    confirmed = fields.Boolean(string="Funding Confirmed", readonly=True)
