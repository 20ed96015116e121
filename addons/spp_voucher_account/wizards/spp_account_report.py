# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from odoo import models
from odoo.tools import SQL

from odoo.addons.spp_payment_account.models.spp_account_source import to_decimal

from ..models.spp_merchant_settlement import HELD_STATES


class SppAccountReport(models.TransientModel):
    _inherit = "spp.account.report"

    def _spp_settlements(self):
        """The program's merchant settlements whose period ends in the
        report's period."""
        domain = [("program_id", "=", self.program_id.id)]
        if self.date_from:
            domain.append(("date_to", ">=", self.date_from))
        if self.date_to:
            domain.append(("date_to", "<=", self.date_to))
        return self.env["spp.merchant.settlement"].search(domain)

    def _spp_ledger_where(self, payrolls):
        return SQL(
            "(%s) OR m.spp_merchant_settlement_id = ANY(%s)",
            super()._spp_ledger_where(payrolls),
            list(self._spp_settlements().ids),
        )

    def _spp_voucher_figures(self, payrolls):
        """Issued and released of the payrolls' vouchers; per FSP, held and
        paid of the settlements' payments; in SQL aggregates."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(SUM(v.amount) FILTER (
                           WHERE v.origin_voucher_id IS NULL), 0),
                       COALESCE((SELECT SUM(r.amount) FROM spp_voucher_release r
                                   JOIN spp_voucher w ON w.id = r.voucher_id
                                   JOIN spp_payment q ON q.id = w.payment_id
                                  WHERE q.payroll_id = ANY(%(payrolls)s)), 0)
                  FROM spp_voucher v
                  JOIN spp_payment p ON p.id = v.payment_id
                 WHERE p.payroll_id = ANY(%(payrolls)s)
                """,
                payrolls=list(payrolls.ids),
            )
        )
        issued, released = map(to_decimal, self.env.cr.fetchone())
        self.env.cr.execute(
            SQL(
                """
                SELECT s.fsp_id,
                       COALESCE(SUM(p.amount) FILTER (
                           WHERE p.state IN %(held)s), 0),
                       COALESCE(SUM(LEAST(COALESCE(p.paid_amount, p.amount),
                                          p.amount))
                                FILTER (WHERE p.state = 'paid'), 0)
                  FROM spp_merchant_settlement s
                  JOIN spp_payment p ON p.id = s.payment_id
                 WHERE s.id = ANY(%(settlements)s)
                 GROUP BY s.fsp_id
                """,
                held=HELD_STATES,
                settlements=list(self._spp_settlements().ids),
            )
        )
        fsp = self.env["spp.fsp"]
        settled = [
            (fsp.browse(fsp_id), to_decimal(held), to_decimal(paid))
            for fsp_id, held, paid in self.env.cr.fetchall()
        ]
        return issued, released, settled

    def _spp_flow_rows(self, by_bucket, payrolls):
        rows = super()._spp_flow_rows(by_bucket, payrolls)
        issued, released, settled = self._spp_voucher_figures(payrolls)
        if not issued and not settled:
            return rows
        held = sum((s[1] for s in settled), Decimal(0))
        paid = sum((s[2] for s in settled), Decimal(0))
        bucket = lambda name: by_bucket.get(name, Decimal(0))  # noqa: E731
        program = self.program_id
        voucher = program.account_voucher_id
        return rows + [
            (self.env._("Vouchers issued"), issued, bucket("voucher_issued"), voucher),
            (
                self.env._("Voucher balances released (expired, cancelled)"),
                released,
                -bucket("voucher_released"),
                voucher,
            ),
            (
                self.env._("Merchant settlements held by FSPs"),
                held,
                bucket("settlement_clearing"),
                False,
            ),
            (
                self.env._("Paid to merchants"),
                paid,
                bucket("settlement_paid"),
                program.account_expense_id,
            ),
            (
                self.env._("Vouchers outstanding (not released or settled)"),
                issued - released - held - paid,
                bucket("voucher_issued")
                + bucket("voucher_released")
                + bucket("voucher_settled"),
                voucher,
            ),
        ]

    def _spp_expect_balances(self, put, payrolls):
        result = super()._spp_expect_balances(put, payrolls)
        issued, released, settled = self._spp_voucher_figures(payrolls)
        program = self.program_id
        put(program.account_fund_id, -(issued - released))
        outstanding = issued - released
        for fsp, held, paid in settled:
            put(fsp.account_clearing_id, held)
            put(program.account_expense_id, paid)
            outstanding -= held + paid
        put(program.account_voucher_id, outstanding)
        return result
