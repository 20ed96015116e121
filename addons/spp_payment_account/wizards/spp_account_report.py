# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The program's books against its payrolls: every figure the suite derives
from its payments, next to the balance its entries posted for it."""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import reopen_wizard

from ..models.spp_payroll import IN_FLIGHT_STATES as IN_FLIGHT
from ..models.spp_payroll import RETURNED_STATES as RETURNED
from ..models.spp_payroll import to_decimal

FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"


class SppAccountReport(models.TransientModel):
    _name = "spp.account.report"
    _description = "Program Accounting Report"

    program_id = fields.Many2one("spp.program", required=True)
    company_id = fields.Many2one(related="program_id.company_id")
    currency_id = fields.Many2one(related="program_id.currency_id")
    date_from = fields.Date(help="Payrolls of cycles starting on or after this day.")
    date_to = fields.Date(
        help="Payrolls of cycles starting on or before this day; entries dated "
        "up to this day."
    )
    line_ids = fields.One2many("spp.account.report.line", "report_id", readonly=True)
    payroll_count = fields.Integer(readonly=True)
    ties = fields.Boolean(
        string="Ledger Ties to the Payrolls",
        readonly=True,
        help="Every figure of the payrolls equals the balance posted for it.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._spp_check_finance_user()
        return super().create(vals_list)

    @api.model
    def _spp_check_finance_user(self):
        if not self.env.user.has_group(FINANCE_OFFICER):
            raise AccessError(self.env._("Only finance users read the books."))

    @api.model
    @api.readonly
    def get_report_data(self, program_id, date_from=False, date_to=False):
        """The report's figures, computed and returned without storing
        anything. Read-only: called through call_kw, it reads from the read
        replica when Odoo's db_replica_host is set (the wizard's button stores
        its lines, hence runs on the primary)."""
        self._spp_check_finance_user()
        report = self.new(
            {"program_id": program_id, "date_from": date_from, "date_to": date_to}
        )
        lines, payroll_count, ties = report._spp_compute()
        return {"lines": lines, "payroll_count": payroll_count, "ties": ties}

    def _spp_payrolls(self):
        domain = [("program_id", "=", self.program_id.id)]
        if self.date_from:
            domain.append(("cycle_id.date_start", ">=", self.date_from))
        if self.date_to:
            domain.append(("cycle_id.date_start", "<=", self.date_to))
        return self.env["spp.payroll"].search(domain)

    def _spp_suite_figures(self, payrolls):
        """Figures of the payments and overpayments, in SQL aggregates."""
        self.env.flush_all()
        paid = SQL("LEAST(COALESCE(p.paid_amount, p.amount), p.amount)")
        self.env.cr.execute(
            SQL(
                """
                SELECT
                  COALESCE(SUM(p.amount) FILTER (
                      WHERE p.state NOT IN ('draft', 'cancelled')), 0),
                  COALESCE(SUM(p.amount) FILTER (WHERE p.state = 'approved'), 0),
                  COALESCE(SUM(p.amount) FILTER (WHERE p.state IN %(in_flight)s), 0),
                  COALESCE(SUM(%(paid)s) FILTER (WHERE p.state = 'paid'), 0),
                  COALESCE(SUM(p.amount) FILTER (
                      WHERE p.state IN %(returned)s AND p.attempt_count > 0), 0)
                  + COALESCE(SUM(p.amount - %(paid)s) FILTER (
                      WHERE p.state = 'paid'), 0),
                  COALESCE(SUM(p.exchange_difference) FILTER (
                      WHERE p.state = 'paid'), 0)
                  FROM spp_payment p
                 WHERE p.payroll_id = ANY(%(payrolls)s) AND p.fsp_id IS NOT NULL
                """,
                in_flight=IN_FLIGHT,
                returned=RETURNED,
                paid=paid,
                payrolls=list(payrolls.ids),
            )
        )
        issued, unsent, clearing, expense, returned, exchange = map(
            to_decimal, self.env.cr.fetchone()
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT
                  COALESCE(SUM(o.amount) FILTER (
                      WHERE o.state <> 'not_duplicate'), 0),
                  COALESCE(SUM(o.amount) FILTER (WHERE o.state = 'open'), 0),
                  COALESCE(SUM(o.amount) FILTER (WHERE o.state = 'recovered'), 0),
                  COALESCE(SUM(o.amount) FILTER (WHERE o.state = 'written_off'), 0)
                  FROM spp_payment_overpayment o
                  JOIN spp_payment p ON p.id = o.payment_id
                 WHERE p.payroll_id = ANY(%s) AND p.fsp_id IS NOT NULL
                """,
                list(payrolls.ids),
            )
        )
        overpaid, receivable, recovered, written_off = map(
            to_decimal, self.env.cr.fetchone()
        )
        return {
            "issued": issued,
            "unsent": unsent,
            "sent": clearing + expense + returned,
            "clearing": clearing,
            "expense": expense,
            "returned": returned,
            "overpaid": overpaid,
            "receivable": receivable,
            "recovered": recovered,
            "written_off": written_off,
            "exchange": exchange,
        }

    def _spp_ledger(self, payrolls):
        """Posted balances of these payrolls' lines, by position and by account
        (in the program's currency)."""
        self.env["account.move.line"].flush_model()
        date = SQL("l.date <= %s", self.date_to) if self.date_to else SQL("TRUE")
        self.env.cr.execute(
            SQL(
                """
                SELECT l.spp_bucket, l.account_id,
                       SUM(COALESCE(l.spp_amount, l.amount_currency))
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                 WHERE (%s) AND l.parent_state = 'posted'
                   AND COALESCE(l.spp_currency_id, l.currency_id) = %s AND %s
                 GROUP BY l.spp_bucket, l.account_id
                """,
                self._spp_ledger_where(payrolls),
                self.currency_id.id,
                date,
            )
        )
        by_bucket, by_account = {}, {}
        for bucket, account_id, amount in self.env.cr.fetchall():
            amount = to_decimal(amount)
            by_bucket[bucket] = by_bucket.get(bucket, Decimal(0)) + amount
            by_account[account_id] = by_account.get(account_id, Decimal(0)) + amount
        return by_bucket, by_account

    def _spp_ledger_where(self, payrolls):
        """The condition on the lines (``l``) and their entries (``m``) that
        the report reads: those of its payrolls; extended by documents posted
        outside a payroll (merchant settlements)."""
        return SQL("l.spp_payroll_id = ANY(%s)", list(payrolls.ids))

    def _spp_flow_rows(self, by_bucket, payrolls):
        """Rows (name, figure, ledger, account) of the flows other addons post
        (PPM floats, vouchers), after the payments' rows."""
        return []

    def _spp_expect_balances(self, put, payrolls):
        """Add, by ``put(account, amount)``, what those flows put on each
        account."""

    def action_compute(self):
        self.ensure_one()
        lines, payroll_count, ties = self._spp_compute()
        self.line_ids.unlink()
        self.write(
            {
                "line_ids": [(0, 0, line) for line in lines],
                "payroll_count": payroll_count,
                "ties": ties,
            }
        )
        return reopen_wizard(self)

    def _spp_compute(self):
        """(line values, payroll count, ties): every figure against its
        ledger balance, read only (see get_report_data)."""
        self.ensure_one()
        self.program_id.check_access("read")
        payrolls = self._spp_payrolls()
        suite = self._spp_suite_figures(payrolls)
        by_bucket, by_account = self._spp_ledger(payrolls.sudo())
        bucket = lambda name: by_bucket.get(name, Decimal(0))  # noqa: E731
        program = self.program_id
        rows = [
            (self.env._("Issued (approved for payment)"), suite["issued"], None, False),
            (self.env._("Not sent yet"), suite["unsent"], None, False),
            (
                self.env._("Sent to FSPs (taken from the fund)"),
                suite["sent"],
                -bucket("fund"),
                program.account_fund_id,
            ),
            (
                self.env._("Paid"),
                suite["expense"],
                bucket("expense"),
                program.account_expense_id,
            ),
            (
                self.env._("Failed, rejected, reversed and unpaid parts (returned)"),
                suite["returned"],
                bucket("returned"),
                program.account_fund_id,
            ),
            (
                self.env._("Outstanding at FSPs"),
                suite["clearing"],
                bucket("clearing"),
                False,
            ),
            (
                self.env._("Overpaid by FSPs"),
                suite["overpaid"],
                -bucket("overpaid"),
                False,
            ),
            (
                self.env._("Overpayments owed back"),
                suite["receivable"],
                bucket("receivable"),
                program._spp_overpayment_account(),
            ),
            (
                self.env._("Overpayments recovered"),
                suite["recovered"],
                bucket("recovered"),
                program.account_fund_id,
            ),
            (
                self.env._("Overpayments written off"),
                suite["written_off"],
                bucket("written_off"),
                program.account_expense_id,
            ),
            (
                self.env._("Exchange differences (paid, at the frozen rates)"),
                suite["exchange"],
                bucket("exchange"),
                program.account_expense_id,
            ),
        ]
        rows += self._spp_flow_rows(by_bucket, payrolls)
        rows += self._spp_account_rows(suite, by_account, payrolls)
        currency = self.currency_id
        lines = []
        for sequence, (name, figure, ledger, account) in enumerate(rows):
            figure = currency.round(float(figure))
            ledger = None if ledger is None else currency.round(float(ledger))
            lines.append(
                {
                    "sequence": sequence,
                    "name": name,
                    "suite_amount": figure,
                    "ledger_amount": ledger or 0.0,
                    "has_ledger": ledger is not None,
                    "difference": 0.0
                    if ledger is None
                    else currency.round(figure - ledger),
                    "account_id": account.id if account else False,
                }
            )
        ties = all(currency.is_zero(line["difference"]) for line in lines)
        return lines, len(payrolls), ties

    def _spp_account_rows(self, suite, by_account, payrolls):
        """Each account's balance against what the figures put on it."""
        program = self.program_id
        expected = {}

        def put(account, amount):
            if account:
                expected[account.id] = expected.get(account.id, Decimal(0)) + amount

        # Fund: what was taken less what came back (returned, recovered).
        put(program.account_fund_id, -(suite["clearing"] + suite["expense"]))
        put(program.account_fund_id, suite["recovered"])
        put(
            program.account_expense_id,
            suite["expense"] + suite["written_off"] + suite["exchange"],
        )
        put(program._spp_overpayment_account(), suite["receivable"])
        # Clearing accounts: per FSP, held less overpaid.
        for fsp, held, overpaid in self._spp_clearing_by_fsp(payrolls):
            put(fsp.account_clearing_id, held - overpaid)
        self._spp_expect_balances(put, payrolls)
        # The exchange gain and loss accounts, together: which one an entry
        # used depends on the sign of its own difference.
        company = self.company_id
        exchange = (
            company.income_currency_exchange_account_id
            | company.expense_currency_exchange_account_id
        ) - self.env["account.account"].browse(list(expected))
        ledger_exchange = sum(
            (by_account.pop(account.id, Decimal(0)) for account in exchange),
            Decimal(0),
        )
        accounts = self.env["account.account"].browse(
            sorted(expected.keys() | by_account.keys())
        )
        rows = [
            (
                self.env._("Balance of %s", account.display_name),
                expected.get(account.id, Decimal(0)),
                by_account.get(account.id, Decimal(0)),
                account,
            )
            for account in accounts.sudo()
        ]
        if suite["exchange"] or ledger_exchange:
            rows.append(
                (
                    self.env._("Balance of the exchange gain and loss accounts"),
                    -suite["exchange"],
                    ledger_exchange,
                    False,
                )
            )
        return rows

    def _spp_clearing_by_fsp(self, payrolls):
        self.env.cr.execute(
            SQL(
                """
                SELECT p.fsp_id,
                       COALESCE(SUM(p.amount) FILTER (WHERE p.state IN %s), 0),
                       COALESCE((SELECT SUM(o.amount)
                                   FROM spp_payment_overpayment o
                                   JOIN spp_payment q ON q.id = o.payment_id
                                  WHERE q.fsp_id = p.fsp_id
                                    AND q.payroll_id = ANY(%s)
                                    AND o.state <> 'not_duplicate'), 0)
                  FROM spp_payment p
                 WHERE p.payroll_id = ANY(%s) AND p.fsp_id IS NOT NULL
                 GROUP BY p.fsp_id
                """,
                IN_FLIGHT,
                list(payrolls.ids),
                list(payrolls.ids),
            )
        )
        fsp = self.env["spp.fsp"]
        return [
            (fsp.browse(fsp_id), to_decimal(held), to_decimal(overpaid))
            for fsp_id, held, overpaid in self.env.cr.fetchall()
        ]


class SppAccountReportLine(models.TransientModel):
    _name = "spp.account.report.line"
    _description = "Program Accounting Report Line"
    _order = "sequence"

    report_id = fields.Many2one("spp.account.report", required=True, ondelete="cascade")
    sequence = fields.Integer()
    name = fields.Char(string="Figure", required=True)
    currency_id = fields.Many2one(related="report_id.currency_id")
    suite_amount = fields.Monetary(string="Payrolls", currency_field="currency_id")
    ledger_amount = fields.Monetary(string="Ledger", currency_field="currency_id")
    has_ledger = fields.Boolean()
    difference = fields.Monetary(currency_field="currency_id")
    account_id = fields.Many2one("account.account")
