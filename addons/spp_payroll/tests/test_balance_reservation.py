# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from psycopg2.errors import CheckViolation

from odoo.exceptions import UserError, ValidationError
from odoo.tools import mute_logger

from .common import SppPayrollCommon


class TestBalanceReservation(SppPayrollCommon):
    """In a balance program, open payments reserve their amount: two cycles or
    payrolls never spend the same remaining entitlement."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.sudo()._spp_write_approval({"is_balance_based": True})
        cls.members.write({"entitled_total": 100.0})
        cls.member = cls.members[2]  # HH-0003, no disability top-up
        cls.march = cls._approve(
            cls._create_cycle(
                name="march",
                date_start="2027-03-01",
                date_end="2027-03-31",
                fixed_amount=80.0,
            )
        )
        cls.april = cls._approve(
            cls._create_cycle(
                name="april",
                date_start="2027-04-01",
                date_end="2027-04-30",
                fixed_amount=80.0,
            )
        )

    def _generate(self, cycle):
        payroll = self._new_payroll(cycle)
        payroll.action_generate()
        return payroll, self._payment_of(payroll, self.member.partner_id)

    def test_two_open_cycles_cannot_spend_one_balance(self):
        _march, first = self._generate(self.march)
        self.assertEqual(first.amount, 80.0)
        # March is not paid yet: its 80 are reserved, 20 are left for April.
        _april, second = self._generate(self.april)
        self.assertEqual(second.amount, 20.0)
        self.assertTrue(second.is_over_balance)
        for payment in first | second:
            payment._set_approved()
            payment._spp_send()
            payment._set_paid()
        self.assertEqual(self.member.paid_total, 100.0)
        self.assertEqual(self.member.balance, 0.0)

    def test_an_fsp_paying_more_than_issued_leaves_a_receivable_not_a_crash(self):
        _march, payment = self._generate(self.march)
        payment._set_approved()
        payment._spp_send()
        # The FSP reports 95 paid for the 80 issued (of a balance of 100): the
        # member has spent 80 of the entitlement, the 15 above are owed back.
        payment._set_paid(paid_amounts={payment.id: 95.0})
        self.assertEqual(payment.paid_amount, 95.0)
        self.assertEqual(self.member.paid_total, 80.0)
        self.assertEqual(self.member.balance, 20.0)
        payment._set_reversed(reason="reversed by the FSP")
        self.assertEqual(self.member.paid_total, 0.0)

    def test_the_dry_run_counts_the_reservation(self):
        self._generate(self.march)
        preview = self._new_payroll(self.april).action_preview()
        self.assertEqual(preview["over_balance"], len(self.members))

    def test_a_failed_payment_releases_its_reservation(self):
        _march, first = self._generate(self.march)
        first._set_approved()
        first._spp_send()
        first._set_failed(reason="invalid account")
        _april, second = self._generate(self.april)
        self.assertEqual(second.amount, 80.0)

    def test_the_database_refuses_a_negative_balance(self):
        _march, first = self._generate(self.march)
        first._set_approved()
        first._spp_send()
        first._set_paid()
        # No SQL path can spend more than the entitlement: the database refuses.
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(CheckViolation):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "UPDATE spp_program_membership SET paid_total = 150, "
                    "balance = entitled_total - 150 WHERE id = %s",
                    [self.member.id],
                )

    def test_the_entitlement_cannot_drop_below_what_is_reserved(self):
        self._generate(self.march)
        with self.assertRaisesRegex(ValidationError, "reserve"):
            self.member.write({"entitled_total": 50.0})
        self.member.write({"entitled_total": 80.0})
        self.assertEqual(self.member.balance, 80.0)

    def test_the_entitlement_cannot_drop_below_what_is_paid(self):
        _march, first = self._generate(self.march)
        first._set_approved()
        first._spp_send()
        first._set_paid()
        with self.assertRaisesRegex(ValidationError, "already paid"):
            self.member.write({"entitled_total": 60.0})

    def test_a_program_with_overpaid_members_cannot_turn_balance_based(self):
        self.program.sudo()._spp_write_approval({"is_balance_based": False})
        # Without a balance, two cycles of 80 pay 160 of an entitlement of 100.
        for cycle in (self.march, self.april):
            _payroll, payment = self._generate(cycle)
            payment._set_approved()
            payment._spp_send()
            payment._set_paid()
        self.assertEqual(self.member.paid_total, 160.0)
        with self.assertRaisesRegex(ValidationError, "more than their entitlement"):
            self.program.sudo()._spp_write_approval({"is_balance_based": True})

    def test_the_balance_mode_is_not_written_by_hand(self):
        with self.assertRaises(UserError):
            self.member.write({"is_balance_based": False})
