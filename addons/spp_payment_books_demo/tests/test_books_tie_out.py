# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The program accounting report's tie-out with every flow in the books: a
PPM payroll paid and failed, its floats issued, paid out and partly
returned, vouchers issued, settled to a merchant and released on expiry."""

from odoo.tests import tagged

from odoo.addons.spp_payroll_ppm_account.tests.test_ppm_account import (
    SppPpmAccountCommon,
)
from odoo.addons.spp_voucher.tests.common import SppVoucherCommon
from odoo.addons.spp_voucher_account.tests.common import SppVoucherBooksCommon


@tagged("post_install", "-at_install")
class TestBooksTieOut(SppVoucherCommon, SppVoucherBooksCommon, SppPpmAccountCommon):
    def test_mixed_run_with_floats_and_vouchers_ties_to_the_cent(self):
        # Cash: 230 issued to the PPMs, 100 paid out, 50 not collected.
        self._execute_ppm()
        north = self._ppm_part(self.point_north)
        south = self._ppm_part(self.point_south)
        first, second = north.payment_ids.sorted("id")
        self._accept_ppm({first: "paid", second: "failed", south.payment_ids: "paid"})
        # North's PPM brings back 40 of the 50 left; South's had nothing left.
        self._close_float(north.float_id, 40.0, "10 short: counted twice.")
        self._close_float(south.float_id, 0.0)
        # Vouchers: 50.35 redeemed and settled to the merchant, paid; what the
        # first voucher left expires.
        issued = round(sum(self.vouchers.mapped("amount")), 2)
        self.assertEqual(issued, 263.5)
        v = self.vouchers
        self._redeem(20.25, voucher=v[0])
        self._redeem(30.10, voucher=v[1])
        settlement = self._settle(self.merchant)
        settlement.payment_id._set_paid(reason="bank reply")
        left = round(v[0].amount - 20.25, 2)
        self._expire(v[0])
        self.assertEqual(v[0].release_ids.amount, left)

        report, lines = self._report()
        for line in report.line_ids.filtered("has_ledger"):
            self.assertEqual(line.difference, 0.0, line.name)
        self.assertTrue(report.ties)
        figures = {name: line.suite_amount for name, line in lines.items()}
        self.assertEqual(figures["Paid"], 100.0)
        self.assertEqual(
            figures["Failed, rejected, reversed and unpaid parts (returned)"], 50.0
        )
        self.assertEqual(figures["Outstanding at FSPs"], 80.0)
        self.assertEqual(figures["PPM floats issued"], 230.0)
        self.assertEqual(figures["Cash paid out by PPMs"], 100.0)
        self.assertEqual(figures["PPM floats returned"], 40.0)
        self.assertEqual(figures["Cash held by PPMs"], 90.0)
        self.assertEqual(figures["Vouchers issued"], 263.5)
        self.assertEqual(
            figures["Voucher balances released (expired, cancelled)"], left
        )
        self.assertEqual(figures["Merchant settlements held by FSPs"], 0.0)
        self.assertEqual(figures["Paid to merchants"], 50.35)
        outstanding = round(263.5 - left - 50.35, 2)
        self.assertEqual(
            figures["Vouchers outstanding (not released or settled)"], outstanding
        )

        def balance(account):
            return lines[f"Balance of {account.display_name}"].ledger_amount

        # The accounts: cash-in-hand 90 (North's 10 short and its second
        # part's 80); the cash FSP's clearing 80 held less 90 in the PPMs'
        # hands; the fund gave 230 less the 50 returned and the vouchers
        # less what expired.
        self.assertEqual(balance(self.ppm_cash), 90.0)
        self.assertEqual(balance(self.cash_clearing), -10.0)
        self.assertEqual(balance(self.voucher_account), outstanding)
        self.assertEqual(balance(self.expense_account), 150.35)
        self.assertEqual(balance(self.clearing_account), 0.0)
        self.assertEqual(
            balance(self.fund_account), round(-230.0 + 50.0 - 263.5 + left, 2)
        )
