# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Exact figures of a generated payroll on a mixed fixture, and generation
computing one entitlement per profile, not per member."""

from decimal import Decimal
from unittest.mock import patch

from spp_payment_core import entitlement

from .common import SppPayrollCommon


class TestGenerationFigures(SppPayrollCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.days = cls.env["ir.model.fields"]._get(
            "spp.program.membership", "days_worked"
        )

    def _mixed_cycle(self):
        """40 fixed, +15 disability, 2.50 a day worked, a 0.70 fee credit
        outside the cap of 75, in a balance program."""
        self.program.sudo()._spp_write_approval({"is_balance_based": True})
        return self._approve(
            self._create_cycle(
                name="2027-01",
                date_start="2027-01-01",
                date_end="2027-01-31",
                fixed_amount=40.0,
                has_cap=True,
                cap_amount=75.0,
                rule_ids=[
                    (
                        0,
                        0,
                        {
                            "name": "Disability",
                            "code": "dis",
                            "amount": 15.0,
                            "condition": "[('partner_id.has_disability', '=', True)]",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Per day",
                            "code": "day",
                            "amount": 2.5,
                            "multiplier_field_id": self.days.id,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Fee",
                            "code": "fee",
                            "amount": 0.7,
                            "counts_toward_cap": False,
                        },
                    ),
                ],
            )
        )

    def _mixed_members(self):
        # (days worked, entitled total) of households 1..5; household 2 is
        # disabled; 4 and 5 share a phone; 1 shares its national ID.
        inputs = [(0, 1000), (10, 1000), (14, 1000), (7, 50), (3, 1000)]
        for member, (days, entitled) in zip(self.members, inputs, strict=True):
            member.write({"days_worked": days, "entitled_total": entitled})
        self.households[4].phone_e164 = self.households[3].phone_e164
        self.households[0].national_id = "NID-1"
        self.cash_member.partner_id.national_id = "NID-1"

    def test_mixed_payroll_exact_figures(self):
        cycle = self._mixed_cycle()
        self._mixed_members()
        payroll = self._new_payroll(cycle)
        # Nothing cached, as in a new request: generation reads the cycle and
        # its rules from the database between its own statements.
        self.env.invalidate_all()
        payroll.action_generate()
        got = {
            p.partner_id.registrant_number: (
                p.amount,
                p.amount_breakdown,
                p.is_capped,
                p.is_over_balance,
                p.duplicate_reason or "",
            )
            for p in payroll.payment_ids
        }
        self.assertEqual(
            got,
            {
                "HH-0001": (
                    40.7,
                    {"fixed": "40.00", "day": "0.00", "fee": "0.70"},
                    False,
                    False,
                    "national ID shared with another registrant",
                ),
                # 40 + 15 + 25 = 80, capped to 75, the fee on top.
                "HH-0002": (
                    75.7,
                    {
                        "fixed": "40.00",
                        "dis": "15.00",
                        "day": "25.00",
                        "fee": "0.70",
                        "cap_reduction": "-5.00",
                    },
                    True,
                    False,
                    "",
                ),
                # 40 + 35 = 75: at the cap, not above it.
                "HH-0003": (
                    75.7,
                    {"fixed": "40.00", "day": "35.00", "fee": "0.70"},
                    False,
                    False,
                    "",
                ),
                # 40 + 17.50 + 0.70 = 58.20, cut to the balance of 50.
                "HH-0004": (
                    50.0,
                    {
                        "fixed": "40.00",
                        "day": "17.50",
                        "fee": "0.70",
                        "balance_reduction": "-8.20",
                    },
                    False,
                    True,
                    "destination shared with another beneficiary",
                ),
                "HH-0005": (
                    48.2,
                    {"fixed": "40.00", "day": "7.50", "fee": "0.70"},
                    False,
                    False,
                    "destination shared with another beneficiary",
                ),
            },
        )
        self.assertEqual(payroll.payment_count, 5)
        self.assertEqual(payroll.flagged_count, 3)
        self.assertEqual(payroll.capped_count, 1)
        self.assertEqual(
            Decimal(str(payroll.total_amount)), Decimal("290.30")
        )  # 40.70 + 75.70 + 75.70 + 50.00 + 48.20

    def test_generation_pays_what_the_dry_run_computes(self):
        """Member by member, the payments carry the core library's figures for
        the rows the dry run reads."""
        cycle = self._mixed_cycle()
        self._mixed_members()
        payroll = self._new_payroll(cycle)
        rows, ents = payroll._spp_compute_entitlements()
        expected = {
            row.key: (ent.amount, {k: str(v) for k, v in ent.breakdown.items()})
            for row, ent in zip(rows, ents, strict=True)
        }
        payroll.action_generate()
        got = {
            p.membership_id.id: (
                Decimal(str(p.amount)),
                p.amount_breakdown,
            )
            for p in payroll.payment_ids
        }
        self.assertEqual(got, expected)

    def test_one_entitlement_per_profile_not_per_member(self):
        # Four households alike, one disabled: two profiles, five payments.
        payroll = self._new_payroll()
        with patch.object(entitlement, "Row", wraps=entitlement.Row) as row:
            payroll.action_generate()
        self.assertEqual(payroll.payment_count, 5)
        self.assertEqual(row.call_count, 2)
        self.assertEqual(
            sorted(payroll.payment_ids.mapped("amount")), [50.7] * 4 + [60.7]
        )
