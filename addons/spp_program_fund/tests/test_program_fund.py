# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.spp_payment_base.tools import guarded_write
from odoo.addons.spp_payroll.tests.common import SppPayrollCommon


@tagged("post_install", "-at_install")
class TestProgramFund(SppPayrollCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with guarded_write("approval"):
            cls.program.write({"fund_control": True})
        cls.donor = cls.env["res.partner"].create({"name": "Donor Fund"})

    def _contribution(self, amount, currency=None, date="2026-11-01"):
        contribution = (
            self.env["spp.program.contribution"]
            .with_user(self.users["finance_officer"])
            .create(
                {
                    "program_id": self.program.id,
                    "donor_id": self.donor.id,
                    "amount": amount,
                    "currency_id": (currency or self.currency).id,
                    "date": date,
                }
            )
        )
        contribution.action_submit()
        contribution.with_user(self.users["finance_manager"]).action_approve()
        return contribution

    def _submitted_payroll(self, cycle=None):
        payroll = self._new_payroll(cycle)
        payroll.action_generate()
        payroll.with_user(self.users["program_officer"]).action_submit()
        return payroll

    def _approve_as_manager(self, payroll):
        payroll.with_user(self.users["finance_manager"]).action_approve()

    def _second_cycle(self, **vals):
        return self._approve(
            self._create_cycle(
                name="2026-12", date_start="2026-12-01", date_end="2026-12-31", **vals
            )
        )

    def test_payroll_above_the_fund_is_refused_with_the_figures(self):
        self._contribution(100.0)
        payroll = self._submitted_payroll()
        total = payroll.total_amount
        self.assertGreater(total, 100.0)
        with self.assertRaisesRegex(UserError, "exceeds the fund left") as caught:
            self._approve_as_manager(payroll)
        message = str(caught.exception)
        for figure in (total, 100.0, total - 100.0):
            self.assertIn(self.currency.format(figure), message)
        # The refused approval left everything as it was.
        self.env.invalidate_all()
        self.assertEqual(payroll.approval_state, "submitted")
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"draft"})
        self.assertFalse(
            self.env["spp.approval.review"].search(
                [("res_model", "=", "spp.payroll"), ("res_id", "=", payroll.id)]
            )
        )

    def test_payroll_within_the_fund_commits_it(self):
        payroll = self._submitted_payroll()
        total = payroll.total_amount
        self._contribution(total)
        self._approve_as_manager(payroll)
        self.assertEqual(payroll.approval_state, "approved")
        self.program.invalidate_recordset()
        self.assertEqual(
            self.currency.compare_amounts(self.program.fund_committed, total), 0
        )
        self.assertTrue(self.currency.is_zero(self.program.fund_available))
        self.assertTrue(self.currency.is_zero(payroll.fund_available))

    def test_other_approved_payrolls_commit_and_failures_release(self):
        first = self._submitted_payroll()
        total = first.total_amount
        self._contribution(total + 10.0)
        self._approve_as_manager(first)
        second = self._submitted_payroll(self._second_cycle())
        with self.assertRaisesRegex(UserError, "committed by other approved payrolls"):
            self._approve_as_manager(second)
        # Every payment of the first failed: its money never left, it is free.
        first.payment_ids.flush_recordset()
        self.env.cr.execute(
            "UPDATE spp_payment SET state = 'failed' WHERE payroll_id = %s", [first.id]
        )
        self.env.invalidate_all()
        self._approve_as_manager(second)
        self.assertEqual(second.approval_state, "approved")

    def test_paid_counts_what_the_fsp_paid(self):
        first = self._submitted_payroll()
        self._contribution(first.total_amount)
        self._approve_as_manager(first)
        payment = first.payment_ids[0]
        first.payment_ids.flush_recordset()
        self.env.cr.execute(
            "UPDATE spp_payment SET state = 'paid', paid_amount = amount - 1 "
            "WHERE id = %s",
            [payment.id],
        )
        self.env.invalidate_all()
        self.assertEqual(
            self.currency.compare_amounts(self.program.fund_available, 1.0), 0
        )

    def test_contribution_in_another_currency_is_converted_at_its_date(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", eur.id)]).unlink()
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "name": "2026-01-01", "rate": 0.5}
        )
        contribution = self._contribution(100.0, currency=eur)
        # 100 EUR at 0.5 EUR per unit of the company currency.
        self.assertEqual(
            self.currency.compare_amounts(contribution.amount_program, 200.0), 0
        )
        self.assertEqual(
            self.currency.compare_amounts(self.program.fund_received, 200.0), 0
        )

    def test_contribution_is_maker_checked(self):
        contribution = (
            self.env["spp.program.contribution"]
            .with_user(self.users["finance_officer"])
            .create(
                {"program_id": self.program.id, "donor_id": self.donor.id, "amount": 10}
            )
        )
        contribution.action_submit()
        with self.assertRaises(AccessError):
            contribution.with_user(self.users["finance_officer"]).action_approve()
        # Not approved, not counted.
        self.assertTrue(self.currency.is_zero(self.program.fund_received))
        with self.assertRaises(AccessError):
            self.env["spp.program.contribution"].with_user(self.users["viewer"]).create(
                {"program_id": self.program.id, "donor_id": self.donor.id, "amount": 5}
            )

    def test_cycle_budget_is_checked_too(self):
        with guarded_write("approval"):
            self.program.write({"fund_control": False})
        cycle = self._second_cycle(budget_amount=60.0)
        payroll = self._submitted_payroll(cycle)
        with self.assertRaisesRegex(UserError, "budget of 2026-12") as caught:
            self._approve_as_manager(payroll)
        self.assertIn(self.currency.format(60.0), str(caught.exception))
        self.assertEqual(payroll.approval_state, "submitted")

    def test_without_fund_control_approval_is_unchanged(self):
        with guarded_write("approval"):
            self.program.write({"fund_control": False})
        payroll = self._submitted_payroll()
        self._approve_as_manager(payroll)
        self.assertEqual(payroll.approval_state, "approved")

    def test_dry_run_shows_the_fund_left(self):
        self._contribution(70.0)
        payroll = self._new_payroll()
        preview = payroll.action_preview()
        self.assertEqual(preview["fund_left"], 70.0)
