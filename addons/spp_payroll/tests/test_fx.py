# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL, float_round

from odoo.addons.spp_payment_base.tools import fx_round_sql

from .common import SppPayrollCommon, fund_fsps


class SppFxCommon(SppPayrollCommon):
    """The program pays in the company's currency; three of its households are
    paid by an FSP paying in another currency (KES, or EUR when the company's
    currency is KES)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.foreign = cls.env.ref("base.KES")
        if cls.foreign == cls.currency:
            cls.foreign = cls.env.ref("base.EUR")
        cls.foreign.active = True
        # No rate but those a test sets.
        cls.env["res.currency.rate"].search(
            [("currency_id", "in", (cls.foreign | cls.currency).ids)]
        ).unlink()
        cls.fx_fsp = cls.env["spp.fsp"].create(
            {
                "name": "Shilling Wallet",
                "provider": "manual",
                "state": "enabled",
                "currency_id": cls.foreign.id,
            }
        )
        cls.members[:3].write({"fsp_id": cls.fx_fsp.id})
        cls.fx_households = cls.members[:3].partner_id

    @classmethod
    def _set_odoo_rate(cls, rate, days_ago=1):
        return cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.foreign.id,
                "rate": rate,
                "name": fields.Date.today() - timedelta(days=days_ago),
                "company_id": cls.env.company.root_id.id,
            }
        )

    def _submitted_payroll(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        payroll.with_user(self.users["program_officer"]).action_submit()
        return payroll

    def _approve_as_manager(self, payroll):
        payroll.with_user(self.users["finance_manager"]).action_approve()
        payroll.invalidate_recordset()
        payroll.payment_ids.invalidate_recordset()

    def _assert_converted(self, payroll, rate):
        for payment in payroll.payment_ids.filtered(lambda p: p.state == "approved"):
            if payment.partner_id in self.fx_households:
                self.assertEqual(payment.fsp_currency_id, self.foreign)
                expected = self.foreign.round(payment.amount * rate)
                self.assertEqual(
                    self.foreign.compare_amounts(payment.fsp_amount, expected),
                    0,
                    f"{payment.amount} at {rate}: {payment.fsp_amount} != {expected}",
                )
            else:
                self.assertEqual(payment.fsp_currency_id, self.currency)
                self.assertEqual(payment.fsp_amount, payment.amount)


@tagged("post_install", "-at_install")
class TestPayrollFx(SppFxCommon):
    def test_rate_frozen_from_odoo_rates_at_approval(self):
        self._set_odoo_rate(120.0, days_ago=10)
        self._set_odoo_rate(129.37)
        payroll = self._submitted_payroll()
        drafts = payroll.payment_ids
        self.assertFalse(any(drafts.mapped("fsp_amount")))
        self._approve_as_manager(payroll)
        self.assertEqual(payroll.approval_state, "approved")
        rate = payroll.rate_ids
        self.assertEqual(len(rate), 1)
        self.assertEqual(
            (rate.from_currency_id, rate.to_currency_id, rate.source),
            (self.currency, self.foreign, "odoo"),
        )
        self.assertAlmostEqual(rate.rate, 129.37, places=9)
        self.assertTrue(rate.frozen)
        self._assert_converted(payroll, 129.37)
        fx = payroll.payment_ids.filtered(lambda p: p.fsp_currency_id == self.foreign)
        self.assertEqual(rate.payment_count, len(fx))
        self.assertAlmostEqual(rate.program_total, sum(fx.mapped("amount")), places=2)
        self.assertAlmostEqual(rate.fsp_total, sum(fx.mapped("fsp_amount")), places=2)
        # A later rate in Odoo changes nothing; the frozen one is not edited.
        self._set_odoo_rate(140.0, days_ago=0)
        before = fx.mapped("fsp_amount")
        with self.assertRaisesRegex(UserError, "frozen"):
            rate.with_user(self.users["finance_manager"]).write({"rate": 1.0})
        with self.assertRaisesRegex(UserError, "frozen"):
            rate.with_user(self.users["finance_manager"]).unlink()
        fx.invalidate_recordset()
        self.assertEqual(fx.mapped("fsp_amount"), before)
        # Nor are the payments' FSP amounts or FSP, once approved.
        with self.assertRaises(UserError):
            fx[0].with_user(self.users["program_officer"]).write({"fsp_amount": 1.0})
        with self.assertRaises(UserError):
            fx[0].with_user(self.users["program_officer"]).write(
                {"fsp_id": self.fsp.id}
            )

    def test_manual_rate_by_finance_manager(self):
        payroll = self._submitted_payroll()
        Rate = self.env["spp.payroll.rate"]
        vals = {
            "payroll_id": payroll.id,
            "to_currency_id": self.foreign.id,
            "rate": 130.25,
            "source_note": "Central bank fixing 2026-12-01",
        }
        for role in ("finance_officer", "program_officer"):
            with self.assertRaises(AccessError):
                Rate.with_user(self.users[role]).create(vals)
        with self.assertRaisesRegex(UserError, "comes from"):
            Rate.with_user(self.users["finance_manager"]).create(
                {**vals, "source_note": " "}
            )
        manual = Rate.with_user(self.users["finance_manager"]).create(
            {**vals, "source": "odoo", "frozen": True}
        )
        self.assertEqual(manual.source, "manual")  # not claimed as Odoo's
        self.assertFalse(manual.frozen)
        self.assertEqual(manual.user_id, self.users["finance_manager"])
        self.assertEqual(manual.from_currency_id, self.currency)
        with self.assertRaises(AccessError):
            manual.with_user(self.users["finance_officer"]).write({"rate": 1.0})
        # An Odoo rate exists too: the manager's rate wins.
        self._set_odoo_rate(99.0)
        self._approve_as_manager(payroll)
        self.assertEqual(payroll.rate_ids, manual)
        self.assertTrue(manual.frozen)
        self.assertEqual(manual.rate, 130.25)
        self._assert_converted(payroll, 130.25)

    def test_missing_rate_refuses_approval(self):
        payroll = self._submitted_payroll()
        with self.assertRaisesRegex(
            UserError, f"{self.currency.name} to {self.foreign.name} \\(Shilling"
        ):
            payroll.with_user(self.users["finance_manager"]).action_approve()
        payroll.invalidate_recordset()
        self.assertEqual(payroll.approval_state, "submitted")
        self.assertFalse(payroll.rate_ids)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"draft"})
        self.assertFalse(any(payroll.payment_ids.mapped("fsp_amount")))

    def test_same_currency_payroll_needs_no_rate(self):
        self.members.write({"fsp_id": self.fsp.id})
        payroll = self._submitted_payroll()
        self._approve_as_manager(payroll)
        self.assertFalse(payroll.rate_ids)
        approved = payroll.payment_ids.filtered(lambda p: p.state == "approved")
        self.assertTrue(approved)
        self.assertEqual(approved.fsp_currency_id, self.currency)
        self.assertEqual(approved.mapped("fsp_amount"), approved.mapped("amount"))
        # No rate is entered for the program's own currency.
        with self.assertRaisesRegex(UserError, "needs no rate"):
            self.env["spp.payroll.rate"].with_user(
                self.users["finance_manager"]
            ).create(
                {
                    "payroll_id": self._new_payroll().id,
                    "to_currency_id": self.currency.id,
                    "rate": 2.0,
                    "source_note": "x",
                }
            )

    def test_sql_rounding_matches_currency_round(self):
        """HALF-UP on the currency's rounding, ties away from zero, as
        res.currency.round rounds."""
        cases = [
            ("0.005", "0.01", "0.01"),
            ("0.015", "0.01", "0.02"),
            ("1.005", "0.01", "1.01"),
            ("2.675", "0.01", "2.68"),
            ("0.0049999", "0.01", "0.00"),
            ("-0.005", "0.01", "-0.01"),
            ("0.5", "1", "1"),
            ("2.5", "1", "3"),
            ("1.4999", "1", "1"),
            ("1.025", "0.05", "1.05"),
            ("1.024", "0.05", "1.00"),
            ("1234567.8905", "0.001", "1234567.891"),
            ("12949.999999995", "0.01", "12950.00"),
        ]
        for value, rounding, expected in cases:
            self.env.cr.execute(
                SQL(
                    "SELECT %s",
                    fx_round_sql(
                        SQL("%s::numeric", value), SQL("%s::numeric", rounding)
                    ),
                )
            )
            got = self.env.cr.fetchone()[0]
            odoo = float_round(float(value), precision_rounding=float(rounding))
            self.assertEqual(got, type(got)(expected), (value, rounding))
            self.env.cr.execute(
                SQL(
                    "SELECT (%s)::text",
                    fx_round_sql(
                        SQL("%s::numeric", value), SQL("%s::numeric", rounding)
                    ),
                )
            )
            self.assertEqual(self.env.cr.fetchone()[0], expected, (value, rounding))
            self.assertAlmostEqual(float(got), odoo, places=9, msg=(value, rounding))

    def test_rounding_of_payments_at_a_tie(self):
        """A converted amount exactly half a cent rounds up, like Odoo."""
        self._set_odoo_rate(0.5)
        payroll = self._new_payroll()
        payroll.action_generate()
        fx = payroll.payment_ids.filtered(lambda p: p.partner_id in self.fx_households)
        # 50.70 and 65.70 at 0.5 fall on whole cents: make one a tie (x.xx5).
        fx[0].with_user(self.users["program_officer"]).amount = 10.01
        payroll.with_user(self.users["program_officer"]).action_submit()
        self._approve_as_manager(payroll)
        self.assertEqual(fx[0].fsp_amount, 5.01)  # 5.005 -> 5.01
        self._assert_converted(payroll, 0.5)

    def test_balance_check_in_the_fsp_currency(self):
        """The KES wallet's balance covers the program-currency total but not
        the shillings it must pay: execution is refused with the KES figure."""
        self._set_odoo_rate(129.37)
        payroll = self._submitted_payroll()
        self._approve_as_manager(payroll)
        fx = payroll.payment_ids.filtered(lambda p: p.fsp_currency_id == self.foreign)
        program_total = sum(fx.mapped("amount"))
        shillings = sum(fx.mapped("fsp_amount"))
        self.assertGreater(shillings, program_total * 100)
        fund_fsps(self.fx_fsp, amount=program_total * 2)
        (line,) = [
            line
            for line in payroll.action_check_balances()
            if line["fsp_id"] == self.fx_fsp.id
        ]
        self.assertEqual(
            self.foreign.compare_amounts(line["to_pay"], shillings), 0, line
        )
        self.assertFalse(line["sufficient"])
        with self.assertRaisesRegex(UserError, "Insufficient"):
            payroll.with_user(self.users["finance_officer"]).action_execute()
