# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError

from .common import SppPayrollCommon


class TestMissedPayments(SppPayrollCommon):
    def _pay(self, payroll, failed_numbers=()):
        for payment in payroll.payment_ids:
            payment._spp_send()
            if payment.partner_id.registrant_number in failed_numbers:
                payment._set_failed(reason="invalid account")
            else:
                payment._set_paid()

    def _next_cycle(self, name, month, **vals):
        """An approved cycle in ``month`` ("YYYY-MM"), after the November one."""
        return self._approve(
            self._create_cycle(
                name=name, date_start=f"{month}-01", date_end=f"{month}-28", **vals
            )
        )

    def test_undelivered_payroll(self):
        payroll = self._approved_payroll()
        self._pay(payroll, failed_numbers={"HH-0002", "HH-0003"})
        undelivered = payroll.action_create_undelivered_payroll()
        self.assertEqual(undelivered.origin, "undelivered")
        self.assertEqual(
            undelivered.payment_ids.partner_id, self.households[1] | self.households[2]
        )
        old = payroll.payment_ids.filtered(
            lambda p: p.partner_id in self.households[1:3]
        )
        self.assertEqual(set(old.mapped("state")), {"cancelled"})
        self.assertEqual(
            sorted(undelivered.payment_ids.mapped("amount")),
            sorted(old.mapped("amount")),
        )
        # Repeatable until everyone is paid.
        self._approve(undelivered)
        self._pay(undelivered, failed_numbers={"HH-0003"})
        again = undelivered.action_create_undelivered_payroll()
        self.assertEqual(again.payment_ids.partner_id, self.households[2])

    def test_undelivered_needs_the_policy(self):
        self.program.sudo()._spp_write_approval({"missed_payment_policy": "none"})
        payroll = self._approved_payroll()
        self._pay(payroll, failed_numbers={"HH-0002"})
        with self.assertRaisesRegex(UserError, "not undelivered"):
            payroll.action_create_undelivered_payroll()

    def test_back_payments_in_next_payroll_with_limit(self):
        self.program.sudo()._spp_write_approval(
            {"missed_payment_policy": "back_payment"}
        )
        missed_twice = {"HH-0002"}
        previous = self.cycle
        for name, month in (("c2", "2027-01"), ("c3", "2027-02")):
            self._pay(self._approved_payroll(previous), failed_numbers=missed_twice)
            previous = self._next_cycle(name, month)
        previous.sudo()._spp_write_approval({"back_payment_limit": 1})
        # Missed in two earlier cycles, limited to one back payment.
        payroll = self._new_payroll(previous)
        payroll.action_generate()
        payment = self._payment_of(payroll, self.households[1])
        self.assertEqual(payment.back_payment_count, 1)
        self.assertEqual(payment.amount, 50.0 * 2)
        self.assertEqual(self._payment_of(payroll, self.households[2]).amount, 50.0)
        # A backlog-only payroll selects just the members who missed payments.
        backlog = self._next_cycle("c4", "2027-03")
        only_missed = self._new_payroll(backlog, missed_min=2)
        only_missed.action_generate()
        self.assertEqual(only_missed.payment_ids.partner_id, self.households[1])

    def test_balance_moves_only_when_paid(self):
        self.program.sudo()._spp_write_approval({"is_balance_based": True})
        self.members.write({"entitled_total": 100.0})
        payroll = self._approved_payroll()
        member = self.members[2]
        payment = self._payment_of(payroll, member.partner_id)
        payment._spp_send()
        self.assertEqual(member.balance, 100.0)
        payment._set_paid()
        self.assertEqual(member.paid_total, payment.amount)
        self.assertEqual(member.balance, 100.0 - payment.amount)
        # A later cycle restricts the payment to what is left.
        big = self._next_cycle("big", "2027-01", fixed_amount=90.0)
        next_payroll = self._new_payroll(big)
        next_payroll.action_generate()
        capped = self._payment_of(next_payroll, member.partner_id)
        self.assertTrue(capped.is_over_balance)
        self.assertEqual(capped.amount, round(100.0 - payment.amount, 2))
