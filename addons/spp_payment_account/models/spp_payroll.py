# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A payroll's money in the books, posted as positions: what the FSPs hold
(clearing), what was paid (expense), what came back to the fund (returned).
Each entry posts the difference between the positions the payments stand for
now, summed in SQL per FSP and currency, and the positions already posted: a
handful of entries whatever the number of payments, and nothing posted twice
(a retried payment moves again only once its earlier amount went back)."""

from decimal import Decimal

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .spp_account_source import (
    balance_lines,
    entry_vals,
    line_amounts,
    position_deltas,
    to_decimal,
)

FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"
# Handed to the FSP, its outcome not known yet (an unknown payment may be paid).
IN_FLIGHT_STATES = ("queued", "sent", "accepted", "processing", "unknown")
# Sent once, then not paid: their money is back in the fund.
RETURNED_STATES = ("failed", "rejected", "reversed")
# Positions of the payments' money; the fund gives what they add up to.
FUND_POSITIONS = ("clearing", "expense", "returned")
# Paid through an FSP in another currency, what the beneficiaries got is worth,
# at the frozen rate, the paid amount plus the payments' exchange difference
# (rounding in two currencies): the expense carries it, against the company's
# exchange gain or loss account (its own line, "exchange_result").
EXCHANGE_POSITIONS = ("exchange",)
# Positions of overpayments (spp.payment.overpayment): what the FSP paid out
# above what it was given (a credit on its clearing account), owed back by the
# beneficiary until recovered, written off or found not to be a duplicate.
OVERPAYMENT_POSITIONS = ("overpaid", "receivable", "recovered", "written_off")
POSITIONS = FUND_POSITIONS + OVERPAYMENT_POSITIONS + EXCHANGE_POSITIONS
# The clearing position in the FSP's currency (amount_currency of the clearing
# lines): {currency id: Decimal}.
FSP_CLEARING = "clearing_fsp"


class SppPayroll(models.Model):
    _name = "spp.payroll"
    _inherit = ["spp.payroll", "spp.account.move.mixin"]
    _spp_move_field = "spp_payroll_id"

    account_posting = fields.Boolean(related="program_id.account_posting")

    def action_account_post(self):
        """Post what changed since the last entry (payments settled by
        callbacks or status queries, say), without waiting for a
        reconciliation."""
        if not self.env.user.has_group(FINANCE_OFFICER):
            raise AccessError(self.env._("Only finance users post payrolls."))
        self.check_access("read")
        moves = self._spp_account_post("settlement")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("%s journal entries posted.", len(moves)),
            },
        }

    def action_close(self):
        result = super().action_close()
        # Nothing moves after closing: the books get the last of it.
        self._spp_account_post("settlement")
        return result

    # Amounts ------------------------------------------------------------------

    def _spp_account_amounts(self, sending=None):
        """{(fsp id, currency id): {position: Decimal}} the payments of this
        payroll stand for now, in one GROUP BY. ``sending`` (an SQL condition on
        ``p``) names payments about to be handed to their FSP, counted as held
        by it. The amounts are in the program's currency (spp.payment.amount);
        the clearing position is also given in the FSP's currency (FSP_CLEARING:
        {currency id: the FSP amounts it holds})."""
        self.ensure_one()
        self.env["spp.payment"].flush_model()
        sending = sending or SQL("FALSE")
        # What the FSP paid out of what we sent; the rest came back.
        paid = SQL("LEAST(COALESCE(p.paid_amount, p.amount), p.amount)")
        held = SQL("p.state IN %s OR (%s)", IN_FLIGHT_STATES, sending)
        self.env.cr.execute(
            SQL(
                """
                SELECT p.fsp_id, p.currency_id,
                       COALESCE(p.fsp_currency_id, p.currency_id),
                       COALESCE(SUM(p.amount) FILTER (WHERE %(held)s), 0),
                       COALESCE(SUM(%(paid)s) FILTER (
                           WHERE p.state = 'paid' AND NOT (%(sending)s)), 0),
                       COALESCE(SUM(p.amount) FILTER (
                           WHERE p.state IN %(returned)s AND p.attempt_count > 0
                             AND NOT (%(sending)s)), 0)
                       + COALESCE(SUM(p.amount - %(paid)s) FILTER (
                           WHERE p.state = 'paid' AND NOT (%(sending)s)), 0),
                       COALESCE(SUM(p.exchange_difference) FILTER (
                           WHERE p.state = 'paid' AND NOT (%(sending)s)), 0),
                       COALESCE(SUM(COALESCE(p.fsp_amount, p.amount)) FILTER (
                           WHERE %(held)s), 0)
                  FROM spp_payment p
                 WHERE p.payroll_id = %(payroll)s AND p.fsp_id IS NOT NULL
                 GROUP BY p.fsp_id, p.currency_id,
                          COALESCE(p.fsp_currency_id, p.currency_id)
                """,
                held=held,
                returned=RETURNED_STATES,
                sending=sending,
                paid=paid,
                payroll=self.id,
            )
        )
        amounts = {}
        for fsp_id, currency_id, fsp_currency_id, *figures in self.env.cr.fetchall():
            *figures, fsp_clearing = map(to_decimal, figures)
            target = amounts.setdefault((fsp_id, currency_id), {FSP_CLEARING: {}})
            for position, amount in zip(
                FUND_POSITIONS + EXCHANGE_POSITIONS, figures, strict=True
            ):
                target[position] = target.get(position, Decimal(0)) + amount
            target[FSP_CLEARING][fsp_currency_id] = fsp_clearing
        self.env["spp.payment.overpayment"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.fsp_id, o.currency_id,
                       -COALESCE(SUM(o.amount) FILTER (
                           WHERE o.state <> 'not_duplicate'), 0),
                       COALESCE(SUM(o.amount) FILTER (WHERE o.state = 'open'), 0),
                       COALESCE(SUM(o.amount) FILTER (
                           WHERE o.state = 'recovered'), 0),
                       COALESCE(SUM(o.amount) FILTER (
                           WHERE o.state = 'written_off'), 0)
                  FROM spp_payment_overpayment o
                  JOIN spp_payment p ON p.id = o.payment_id
                 WHERE p.payroll_id = %s AND p.fsp_id IS NOT NULL
                 GROUP BY p.fsp_id, o.currency_id
                """,
                self.id,
            )
        )
        for fsp_id, currency_id, *figures in self.env.cr.fetchall():
            amounts.setdefault((fsp_id, currency_id), {}).update(
                zip(OVERPAYMENT_POSITIONS, map(to_decimal, figures), strict=True)
            )
        return amounts

    def _spp_account_posted(self):
        """The same positions, as posted so far: in the program's currency
        (spp_amount; lines posted before it was recorded are in that currency),
        the clearing also in the FSP's (the clearing lines' amount_currency)."""
        self.ensure_one()
        self.env["account.move.line"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT l.spp_fsp_id, COALESCE(l.spp_currency_id, l.currency_id),
                       l.spp_bucket, l.currency_id,
                       SUM(COALESCE(l.spp_amount, l.amount_currency)),
                       SUM(l.amount_currency)
                  FROM account_move_line l
                 WHERE l.spp_payroll_id = %s AND l.parent_state = 'posted'
                   AND l.spp_bucket IN %s
                 GROUP BY l.spp_fsp_id, COALESCE(l.spp_currency_id, l.currency_id),
                          l.spp_bucket, l.currency_id
                """,
                self.id,
                POSITIONS,
            )
        )
        posted = {}
        for row in self.env.cr.fetchall():
            fsp_id, currency_id, bucket, line_currency_id, amount, in_line = row
            done = posted.setdefault((fsp_id, currency_id), {FSP_CLEARING: {}})
            done[bucket] = done.get(bucket, Decimal(0)) + to_decimal(amount)
            if bucket == "clearing":
                done[FSP_CLEARING][line_currency_id] = to_decimal(in_line)
        return posted

    def _spp_account_fsp_clearing(self, target, done):
        """(currency, Decimal): the FSP-currency clearing to post, in the
        currency the payments are paid in now (or were, if none is held)."""
        target, done = target.get(FSP_CLEARING, {}), done.get(FSP_CLEARING, {})
        currency_id = max(target, key=lambda key: target[key], default=None)
        if currency_id is None:
            currency_id = max(done, key=lambda key: abs(done[key]), default=None)
        if currency_id is None:
            return None, Decimal(0)
        delta = target.get(currency_id, Decimal(0)) - done.get(currency_id, Decimal(0))
        return self.env["res.currency"].browse(currency_id), delta

    # Posting ------------------------------------------------------------------

    def _spp_account_post(
        self,
        event,
        run=None,
        reconciliation=None,
        sending=None,
        date=None,
        positions=POSITIONS,
    ):
        """Post, for each payroll whose program posts to accounting, one entry
        per FSP and currency whose ``positions`` changed (the others wait for
        a later entry). Refused, with what is missing, rather than posted to a
        wrong account. Returns the entries."""
        moves = self.env["account.move"].sudo()
        currencies = self.env["res.currency"]
        for payroll in self.filtered("program_id.account_posting"):
            # Two reconciliations of one payroll accepted at once would both
            # post the same difference: one waits for the other.
            self.env.cr.execute(
                SQL("SELECT id FROM spp_payroll WHERE id = %s FOR UPDATE", payroll.id)
            )
            targets = payroll._spp_account_amounts(sending)
            posted = payroll._spp_account_posted()
            vals_list = []
            # The FSP-currency clearing moves with the clearing position.
            in_currency = (
                payroll._spp_account_fsp_clearing if "clearing" in positions else None
            )
            for key, delta, fsp_clearing in position_deltas(
                targets,
                posted,
                positions,
                lambda key: currencies.browse(key[1]),
                in_currency,
            ):
                fsp = self.env["spp.fsp"].browse(key[0])
                currency = currencies.browse(key[1])
                delta = {p: delta.get(p, Decimal(0)) for p in POSITIONS}
                payroll._spp_account_check_config(fsp, delta)
                vals_list.append(
                    payroll._spp_account_move_vals(
                        fsp,
                        currency,
                        delta,
                        event,
                        run,
                        reconciliation,
                        date,
                        fsp_clearing=fsp_clearing,
                    )
                )
            if vals_list:
                moves |= moves.create(vals_list)
        if moves:
            moves.action_post()
        return moves

    def _spp_account_check_payments(self, payments):
        """Before anything is sent: the accounts the payments' entry needs."""
        if self.program_id.account_posting:
            for fsp in payments.fsp_id:
                self._spp_account_check_config(fsp)

    def _spp_account_check_config(self, fsp, delta=None):
        program = self.program_id
        currency = self.currency_id
        missing = [
            label
            for label, value in (
                (self.env._("journal"), program.account_journal_id),
                (self.env._("program expense account"), program.account_expense_id),
                (self.env._("program fund account"), program.account_fund_id),
            )
            if not value
        ]
        if not fsp.account_clearing_id:
            missing.append(self.env._("clearing account of FSP %s", fsp.name))
        if (
            delta
            and not program._spp_overpayment_account()
            and not currency.is_zero(float(delta["receivable"]))
        ):
            missing.append(self.env._("overpayment receivable account"))
        if (
            delta
            and not currency.is_zero(float(delta["exchange"]))
            and not self._spp_exchange_account(delta["exchange"])
        ):
            missing.append(self.env._("company's exchange gain or loss account"))
        if missing:
            raise UserError(
                self.env._(
                    "%(payroll)s cannot be posted to accounting: set the "
                    "%(missing)s of program %(program)s. Nothing was posted.",
                    payroll=self.name,
                    missing=", ".join(missing),
                    program=program.name,
                )
            )

    def _spp_exchange_account(self, exchange):
        """The company's exchange gain account for a positive exchange
        difference (what was paid is worth more than counted), its loss
        account for a negative one."""
        company = self.company_id
        if exchange > 0:
            return company.income_currency_exchange_account_id
        return company.expense_currency_exchange_account_id

    def _spp_account_move_vals(
        self,
        fsp,
        currency,
        delta,
        event,
        run,
        reconciliation,
        date,
        fsp_clearing=(None, Decimal(0)),
    ):
        program = self.program_id
        date = date or fields.Date.context_today(self)
        labels = {
            "clearing": (self.env._("Sent to FSP"), self.env._("Settled by FSP")),
            "expense": (self.env._("Paid"), self.env._("Reversed")),
            "returned": (
                self.env._("Returned: failed, rejected, reversed, unpaid part"),
                self.env._("Returned money sent again"),
            ),
            "fund": (self.env._("Back to the fund"), self.env._("Taken from the fund")),
            "overpaid": (
                self.env._("Overpayment found not to be one"),
                self.env._("Paid out by the FSP above the amount"),
            ),
            "receivable": (
                self.env._("Overpayment owed back"),
                self.env._("Overpayment receivable settled"),
            ),
            "recovered": (
                self.env._("Overpayment recovered"),
                self.env._("Overpayment recovery undone"),
            ),
            "written_off": (
                self.env._("Overpayment written off"),
                self.env._("Overpayment write-off undone"),
            ),
            "exchange": (
                self.env._("Exchange difference: paid worth more at the rate"),
                self.env._("Exchange difference: paid worth less at the rate"),
            ),
            "exchange_result": (
                self.env._("Exchange loss"),
                self.env._("Exchange gain"),
            ),
        }
        accounts = {
            "clearing": fsp.account_clearing_id,
            "expense": program.account_expense_id,
            "returned": program.account_fund_id,
            "fund": program.account_fund_id,
            "overpaid": fsp.account_clearing_id,
            "receivable": program._spp_overpayment_account(),
            "recovered": program.account_fund_id,
            "written_off": program.account_expense_id,
            "exchange": program.account_expense_id,
            "exchange_result": self._spp_exchange_account(delta["exchange"]),
        }
        lines = []
        # The overpayment and exchange positions add up to nothing on their own.
        fund = -sum(delta[position] for position in FUND_POSITIONS)
        result = -delta["exchange"]
        fsp_currency, fsp_amount = fsp_clearing
        for bucket, amount in (
            *delta.items(),
            ("exchange_result", result),
            ("fund", fund),
        ):
            in_fsp_currency = bucket == "clearing" and fsp_currency
            if currency.is_zero(float(amount)) and not (
                in_fsp_currency and not fsp_currency.is_zero(float(fsp_amount))
            ):
                continue
            lines.append(
                self._spp_account_line(
                    accounts[bucket],
                    amount,
                    currency,
                    bucket,
                    fsp,
                    labels[bucket][0 if amount > 0 else 1],
                    date,
                    fsp_clearing if in_fsp_currency else None,
                )
            )
        self._spp_account_balance_lines(lines)
        return entry_vals(
            self.env,
            program,
            date,
            f"{self.name} / {fsp.name}",
            event,
            lines,
            spp_payroll_id=self.id,
            spp_fsp_id=fsp.id,
            spp_run_id=run.id if run else False,
            spp_reconciliation_id=reconciliation.id if reconciliation else False,
        )

    def _spp_account_line(
        self, account, amount, currency, bucket, fsp, label, date, in_currency=None
    ):
        """One line of ``amount`` (Decimal, in ``currency``, the program's;
        debit if positive), converted into the company's currency at ``date``
        when it differs; ``in_currency``: its amount in the FSP's currency
        (line_amounts)."""
        vals = {
            "account_id": account.id,
            "name": f"{self.name}: {label}",
            "spp_payroll_id": self.id,
            "spp_fsp_id": fsp.id,
            "spp_bucket": bucket,
        }
        vals.update(line_amounts(self.company_id, amount, currency, date, in_currency))
        return vals

    def _spp_account_balance_lines(self, lines):
        """Conversion rounding lands on the fund line (the last one)."""
        balance_lines(self.company_id.currency_id, lines)
