# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A voucher payroll in the books: its vouchers issued move from the fund to
the program's voucher clearing account when the payroll is approved (a
voucher payroll is never executed), and what expired, cancelled or re-issued
vouchers leave goes back to the fund, as positions of the payroll posted by
spp_payment_account's mechanism (spp.account.source)."""

from odoo import models
from odoo.tools import SQL

from odoo.addons.spp_payment_account.models.spp_account_source import to_decimal

POSITIONS = ("voucher_issued", "voucher_released")


class SppPayroll(models.Model):
    _name = "spp.payroll"
    _inherit = ["spp.payroll", "spp.account.source"]

    _spp_move_field = "spp_payroll_id"
    _spp_books_positions = POSITIONS

    def _spp_books_enabled(self):
        return self.filtered(
            lambda p: p.kind == "voucher" and p.program_id.account_posting
        )

    def _spp_books_targets(self):
        """Issued: the vouchers first issued for the payroll's payments (a
        re-issue carries what its origin left, already counted); released:
        what the releases gave back (less what re-issues took again)."""
        self.env["spp.voucher"].flush_model()
        self.env["spp.voucher.release"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.payroll_id, v.currency_id,
                       COALESCE(SUM(v.amount) FILTER (
                           WHERE v.origin_voucher_id IS NULL), 0),
                       -COALESCE(SUM(r.released), 0)
                  FROM spp_voucher v
                  JOIN spp_payment p ON p.id = v.payment_id
             LEFT JOIN (SELECT voucher_id, SUM(amount) AS released
                          FROM spp_voucher_release GROUP BY voucher_id) r
                    ON r.voucher_id = v.id
                 WHERE p.payroll_id = ANY(%s)
                 GROUP BY p.payroll_id, v.currency_id
                """,
                list(self.ids),
            )
        )
        return {
            (payroll_id, currency_id): dict(
                zip(POSITIONS, map(to_decimal, figures), strict=True)
            )
            for payroll_id, currency_id, *figures in self.env.cr.fetchall()
        }

    def _spp_books_move_vals(self, currency, delta, event):
        program = self.program_id
        _journal, voucher, fund = program._spp_voucher_accounts(
            self.name, (self.env._("program fund account"), program.account_fund_id)
        )
        lines = [
            (
                voucher,
                delta["voucher_issued"],
                currency,
                "voucher_issued",
                self.env._("Vouchers issued"),
            ),
            (
                voucher,
                delta["voucher_released"],
                currency,
                "voucher_released",
                self.env._("Voucher balances released"),
            ),
            (
                fund,
                -sum(delta.values()),
                currency,
                "voucher_fund",
                self.env._("Fund committed to vouchers"),
            ),
        ]
        return self._spp_books_entry(lines, event, spp_payroll_id=self.id)

    def _on_spp_approved(self):
        result = super()._on_spp_approved()
        # The vouchers were issued by the approval (the checker's): posted now.
        self.filtered(lambda p: p.kind == "voucher")._spp_books_post("voucher_issue")
        return result
