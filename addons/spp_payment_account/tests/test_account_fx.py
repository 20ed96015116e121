# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.spp_payroll.tests.common import fund_fsps
from odoo.addons.spp_payroll.tests.test_fx import SppFxCommon

from .common import SppAccountCommon


@tagged("post_install", "-at_install")
class TestPaymentAccountFx(SppAccountCommon, SppFxCommon):
    """A USD program paying three households through a KES wallet at a frozen
    129.37: the wallet's clearing lines carry the shillings, the exchange
    difference of what it paid goes to the company's exchange accounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        account = cls.env["account.account"]
        cls.kes_clearing = account.create(
            {
                "name": "Shilling Wallet Clearing",
                "code": "SPP121",
                "account_type": "asset_current",
            }
        )
        cls.fx_fsp.with_user(
            cls.users["finance_manager"]
        ).account_clearing_id = cls.kes_clearing
        cls.gain = account.create(
            {"name": "Exchange Gain", "code": "SPP790", "account_type": "income"}
        )
        cls.loss = account.create(
            {"name": "Exchange Loss", "code": "SPP690", "account_type": "expense"}
        )
        cls.env.company.write(
            {
                "income_currency_exchange_account_id": cls.gain.id,
                "expense_currency_exchange_account_id": cls.loss.id,
            }
        )
        fund_fsps(cls.fx_fsp)

    def _lines(self, move):
        """(account code, bucket, currency, amount_currency, balance) of each
        line of an entry."""
        return sorted(
            (
                line.account_id.code,
                line.spp_bucket,
                line.currency_id.name,
                line.amount_currency,
                line.balance,
            )
            for line in move.line_ids
        )

    def test_clearing_in_fsp_currency_and_exchange_difference(self):
        self.assertEqual(
            (self.currency.name, self.foreign.name, self.env.company.currency_id),
            ("USD", "KES", self.currency),
        )
        self._set_odoo_rate(129.37)
        payroll = self._submitted_payroll()
        self._approve_as_manager(payroll)
        p1, p2, p3 = (self._payment_of(payroll, h) for h in self.fx_households)
        self.assertEqual(
            [(p.amount, p.fsp_amount) for p in (p1, p2, p3)],
            [(50.70, 6559.06), (60.70, 7852.76), (50.70, 6559.06)],
        )
        self._execute(payroll)
        execution = self._moves(payroll).filtered(lambda m: m.spp_fsp_id == self.fx_fsp)
        self.assertEqual(len(execution), 1)
        self.assertEqual(
            self._lines(execution),
            [
                ("SPP100", "fund", "USD", -162.10, -162.10),
                ("SPP121", "clearing", "KES", 20970.88, 162.10),
            ],
        )
        # p1 paid 6,008.59 of its 6,559.06 shillings: 46.44 dollars paid
        # (4.26 back), though 6,008.59 shillings are worth 46.45 at the rate.
        batch = self._reconcile(
            payroll, {p1: ("paid", 6008.59), p2: "failed", p3: "paid"}, self.fx_fsp
        )
        self.assertEqual(
            (p1.paid_amount, p1.fsp_paid_amount, p1.exchange_difference),
            (46.44, 6008.59, 0.01),
        )
        self.assertEqual((p3.paid_amount, p3.exchange_difference), (50.70, 0.0))
        self.assertEqual(
            self._lines(batch.account_move_ids),
            [
                ("SPP100", "returned", "USD", 64.96, 64.96),
                ("SPP121", "clearing", "KES", -20970.88, -162.10),
                ("SPP600", "exchange", "USD", 0.01, 0.01),
                ("SPP600", "expense", "USD", 97.14, 97.14),
                ("SPP790", "exchange_result", "USD", -0.01, -0.01),
            ],
        )
        # The wallet's clearing account is settled in both currencies.
        clearing = self.env["account.move.line"].search(
            [("account_id", "=", self.kes_clearing.id)]
        )
        self.assertEqual(sum(clearing.mapped("amount_currency")), 0.0)
        self.assertEqual(sum(clearing.mapped("balance")), 0.0)
        report, lines = self._report()
        self.assertTrue(report.ties, [(r.name, r.difference) for r in report.line_ids])
        exchange = lines["Exchange differences (paid, at the frozen rates)"]
        self.assertEqual((exchange.suite_amount, exchange.ledger_amount), (0.01, 0.01))
        accounts = lines["Balance of the exchange gain and loss accounts"]
        self.assertEqual(accounts.ledger_amount, -0.01)
        # Nothing new to post.
        self.assertFalse(payroll.sudo()._spp_account_post("settlement"))
