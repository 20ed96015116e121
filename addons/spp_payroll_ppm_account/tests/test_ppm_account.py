# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core.reconcile import Line

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payment_account.tests.common import SppAccountCommon
from odoo.addons.spp_payroll.tests.common import perform_jobs
from odoo.addons.spp_payroll_ppm.tests.common import SppPpmPayrollCommon


class SppPpmAccountCommon(SppAccountCommon, SppPpmPayrollCommon):
    """The PPM fixture's program posting to accounting, its cash FSP clearing
    to its own account and a PPM cash-in-hand account; a PPM payroll of 230
    in three parts (North 100 and 80, South 50), approved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        account = cls.env["account.account"]
        cls.cash_clearing = account.create(
            {
                "name": "Cash Points Clearing",
                "code": "SPP121",
                "account_type": "asset_current",
            }
        )
        cls.ppm_cash = account.create(
            {"name": "PPM Cash in Hand", "code": "SPP125", "account_type": "asset_cash"}
        )
        manager = cls.users["finance_manager"]
        cls.cash_fsp.with_user(manager).account_clearing_id = cls.cash_clearing
        cls.program.with_user(manager).account_ppm_cash_id = cls.ppm_cash
        cls.north_members = cls._cash_members(cls.north, 4, topped_up=3)
        cls.south_members = cls._cash_members(cls.south, 1)
        cls.cycle_ppm = cls._ppm_cycle(limit=100.0)
        cls.ppm_payroll = cls._ppm_payroll(cls.cycle_ppm)
        cls.ppm_payroll.action_assign_ppms()
        cls._approve(cls.ppm_payroll)
        # Read as the server (the entries are finance users' to read).
        cls.ppm_payroll = cls.ppm_payroll.sudo()

    def _execute_ppm(self):
        with trap_jobs() as trap:
            self.ppm_payroll.with_user(self.users["finance_officer"]).action_execute()
            perform_jobs(trap)
        self.ppm_payroll.invalidate_recordset()

    def _ppm_part(self, point, part_no=1):
        return self.ppm_payroll.payroll_point_ids.filtered(
            lambda p: p.payment_point_id == point and p.part_no == part_no
        )

    def _accept_ppm(self, outcomes):
        """A PPM sync batch {payment: "paid" | "failed"}, accepted by a checker."""
        lines = [
            Line(
                row,
                payment.id,
                outcome,
                Decimal(str(payment.amount)) if outcome == "paid" else None,
                None,
                f"PPM-{payment.id}" if outcome == "paid" else "",
                "" if outcome == "paid" else "not collected",
            )
            for row, (payment, outcome) in enumerate(outcomes.items(), start=1)
        ]
        batch = (
            self.env["spp.reconciliation"]
            .with_user(self.users["finance_officer"])
            ._spp_create_batch(
                {
                    "name": "PPM sync",
                    "source": "ppm",
                    "program_id": self.program.id,
                    "payroll_id": self.ppm_payroll.id,
                    "fsp_id": self.cash_fsp.id,
                },
                lines,
            )
        )
        batch.with_user(self.users["finance_officer"]).action_submit()
        batch.with_user(self.users["finance_manager"]).action_approve()
        return batch

    def _close_float(self, float_, returned, note=None):
        finance = float_.with_user(self.users["finance_officer"])
        finance.write(
            {"amount_returned": returned, **({"variance_note": note} if note else {})}
        )
        finance.action_close()


@tagged("post_install", "-at_install")
class TestPpmAccount(SppPpmAccountCommon):
    """A float's cash-in-hand in the books: issued, paid out, returned; one
    entry per float each time it moves, never twice; the report ties."""

    def test_float_issued_paid_out_and_returned(self):
        self._execute_ppm()
        part = self._ppm_part(self.point_north)
        float_ = part.float_id
        self.assertEqual(float_.amount_issued, 100.0)
        issue = float_.account_move_ids
        self.assertEqual(len(issue), 1)
        self.assertEqual(
            (issue.spp_event, issue.spp_payroll_id, issue.spp_fsp_id, issue.state),
            ("ppm_float_issued", self.ppm_payroll, self.cash_fsp, "posted"),
        )
        self.assertEqual(
            self._balances(issue),
            {
                (self.ppm_cash, "ppm_issued"): 100.0,
                (self.cash_clearing, "ppm_clearing"): -100.0,
            },
        )
        # Each line keeps its program-currency amount (the shared line helper).
        currency = self.ppm_payroll.currency_id
        self.assertEqual(
            {(line.spp_currency_id, line.spp_amount) for line in issue.line_ids},
            {(currency, 100.0), (currency, -100.0)},
        )
        # One entry per float: three floats, three issue entries.
        self.assertEqual(len(self.ppm_payroll.ppm_float_ids.account_move_ids), 3)
        self.assertEqual(float_.count_account_moves, 1)
        action = float_.action_view_account_moves()
        self.assertEqual(self.env["account.move"].search(action["domain"]), issue)
        # Paid out: 50 of 100 reconciled paid, 50 not collected.
        first, second = part.payment_ids.sorted("id")
        batch = self._accept_ppm({first: "paid", second: "failed"})
        paid_out = float_.account_move_ids - issue
        self.assertEqual(paid_out.spp_event, "ppm_cash_paid")
        self.assertEqual(
            self._balances(paid_out),
            {
                (self.ppm_cash, "ppm_handed_out"): -50.0,
                (self.cash_clearing, "ppm_clearing"): 50.0,
            },
        )
        # The payment shows its float's entries, not the other floats'.
        self.assertIn(issue, first.account_move_ids)
        self.assertIn(batch.account_move_ids, first.account_move_ids)
        other_floats = (self.ppm_payroll.ppm_float_ids - float_).account_move_ids
        self.assertFalse(other_floats & first.account_move_ids)
        # Recomputed again (a re-run): nothing new.
        float_._spp_recompute_handed_out()
        self.assertEqual(len(float_.account_move_ids), 2)
        # 40 of the 50 left come back; the 10 short stays in cash-in-hand.
        self._close_float(float_, 40.0, "10 short: counted twice.")
        returned = float_.account_move_ids - issue - paid_out
        self.assertEqual(returned.spp_event, "ppm_float_returned")
        self.assertEqual(
            self._balances(returned),
            {
                (self.ppm_cash, "ppm_returned"): -40.0,
                (self.cash_clearing, "ppm_clearing"): 40.0,
            },
        )
        report, lines = self._report()
        for line in report.line_ids.filtered("has_ledger"):
            self.assertEqual(line.difference, 0.0, line.name)
        self.assertTrue(report.ties)
        self.assertEqual(lines["PPM floats issued"].suite_amount, 230.0)
        self.assertEqual(lines["Cash paid out by PPMs"].suite_amount, 50.0)
        self.assertEqual(lines["PPM floats returned"].suite_amount, 40.0)
        self.assertEqual(lines["Cash held by PPMs"].suite_amount, 140.0)
        cash = lines[f"Balance of {self.ppm_cash.display_name}"]
        self.assertEqual(cash.ledger_amount, 140.0)
        # Clearing: 180 still sent to the PPMs' FSP, 130 of it as their cash.
        clearing = lines[f"Balance of {self.cash_clearing.display_name}"]
        self.assertEqual(clearing.ledger_amount, -10.0)

    def test_missing_cash_account_refuses_execution(self):
        self.program.sudo().account_ppm_cash_id = False
        with self.assertRaisesRegex(UserError, "PPM cash-in-hand account"):
            self._execute_ppm()
        self.assertFalse(self.ppm_payroll.run_ids)
        self.assertFalse(self.ppm_payroll.ppm_float_ids)

    def test_only_configurers_set_the_cash_account(self):
        with self.assertRaises(Exception):  # noqa: B017 AccessError
            self.program.with_user(self.users["finance_officer"]).write(
                {"account_ppm_cash_id": self.expense_account.id}
            )
        self.assertEqual(self.program.account_ppm_cash_id, self.ppm_cash)
