# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs
from odoo.addons.spp_voucher.tests.common import SppVoucherCommon

from .common import SppVoucherBooksCommon


@tagged("post_install", "-at_install")
class TestVoucherAccount(SppVoucherCommon, SppVoucherBooksCommon):
    """Vouchers in the books: issued from the fund when their payroll is
    approved, settled to merchants through the FSP, released back to the fund
    when they expire; the report ties."""

    def test_issue_settle_and_release_tie_to_the_cent(self):
        total = round(sum(self.vouchers.mapped("amount")), 2)
        issue = self._voucher_moves("voucher_issue")
        self.assertEqual(len(issue), 1)
        self.assertEqual((issue.spp_payroll_id, issue.state), (self.payroll, "posted"))
        self.assertEqual(
            self._balances(issue),
            {
                (self.voucher_account, "voucher_issued"): total,
                (self.fund_account, "voucher_fund"): -total,
            },
        )
        self.assertIn(issue, self.vouchers[0].payment_id.account_move_ids)
        # Redeemed at the merchant, settled: from the vouchers to the FSP...
        v = self.vouchers
        self._redeem(20.25, voucher=v[0])
        self._redeem(30.10, voucher=v[1])
        settlement = self._settle(self.merchant)
        self.assertEqual(settlement.payment_id.state, "sent")
        sent = settlement.account_move_ids
        self.assertEqual(len(sent), 1)
        self.assertEqual(settlement.count_account_moves, 1)
        self.assertEqual(
            (sent.spp_event, sent.spp_fsp_id), ("merchant_settlement", self.fsp)
        )
        self.assertEqual(
            self._balances(sent),
            {
                (self.clearing_account, "settlement_clearing"): 50.35,
                (self.voucher_account, "voucher_settled"): -50.35,
            },
        )
        # ...then paid to the merchant (a bank reply): to expense.
        settlement.payment_id._set_paid(reason="bank reply")
        paid = settlement.account_move_ids - sent
        self.assertEqual(
            self._balances(paid),
            {
                (self.expense_account, "settlement_paid"): 50.35,
                (self.clearing_account, "settlement_clearing"): -50.35,
            },
        )
        self.assertEqual(
            settlement.payment_id.account_move_ids, settlement.account_move_ids
        )
        # The voucher redeemed in part expires: its 29.75 go back to the fund.
        left = round(v[0].amount - 20.25, 2)
        self._expire(v[0])
        release = v[0].release_ids
        self.assertEqual((release.kind, release.amount), ("expired", left))
        move = release.account_move_id
        self.assertEqual(move.spp_event, "voucher_release")
        self.assertEqual(move.spp_voucher_release_ids, release)
        self.assertEqual(
            self._balances(move),
            {
                (self.voucher_account, "voucher_released"): -left,
                (self.fund_account, "voucher_fund"): left,
            },
        )
        self.assertIn(move, v[0].payment_id.account_move_ids)
        self.assertNotIn(move, v[1].payment_id.account_move_ids)
        # The cron again: nothing new.
        self._expire(v[0])
        self.assertEqual(len(self._voucher_moves("voucher_release")), 1)
        report, lines = self._report()
        for line in report.line_ids.filtered("has_ledger"):
            self.assertEqual(line.difference, 0.0, line.name)
        self.assertTrue(report.ties)
        self.assertEqual(lines["Vouchers issued"].suite_amount, total)
        self.assertEqual(
            lines["Voucher balances released (expired, cancelled)"].suite_amount,
            left,
        )
        self.assertEqual(lines["Paid to merchants"].suite_amount, 50.35)
        outstanding = round(total - left - 50.35, 2)
        self.assertEqual(
            lines["Vouchers outstanding (not released or settled)"].ledger_amount,
            outstanding,
        )
        voucher = lines[f"Balance of {self.voucher_account.display_name}"]
        self.assertEqual(voucher.ledger_amount, outstanding)
        fund = lines[f"Balance of {self.fund_account.display_name}"]
        self.assertEqual(fund.ledger_amount, round(-total + left, 2))

    def test_failed_settlement_goes_back_and_is_sent_again_once(self):
        self._redeem(12.40, voucher=self.vouchers[0])
        settlement = self._settle(self.merchant)
        settlement.payment_id._set_failed(reason="account closed")
        back = settlement.account_move_ids.sorted("id")[-1]
        self.assertEqual(
            self._balances(back),
            {
                (self.clearing_account, "settlement_clearing"): -12.40,
                (self.voucher_account, "voucher_settled"): 12.40,
            },
        )
        settlement.invalidate_recordset()
        with trap_jobs() as trap:
            settlement.with_user(self.users["finance_officer"]).action_retry_payment()
            perform_jobs(trap)
        self.assertEqual(settlement.payment_id.state, "sent")
        self.assertEqual(len(settlement.account_move_ids), 3)
        # Posting again finds nothing new.
        self.assertFalse(settlement._spp_books_post("merchant_settlement"))

    def test_missing_voucher_account_refuses_the_settlement(self):
        self._redeem(12.40, voucher=self.vouchers[0])
        self.program.sudo().account_voucher_id = False
        with self.assertRaisesRegex(UserError, "voucher clearing account"):
            self._settle(self.merchant)
