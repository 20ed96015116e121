# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.addons.spp_payment_cycle.tests.common import SppCycleCommon


class SppPayrollCommon(SppCycleCommon):
    """An approved program and cycle (50 fixed, +15 disability, a 0.70 fee credit
    outside the cap of 60) and five digital households plus one at a payment point."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = cls.household
        for n in range(2, 6):
            cls.households |= cls._create_household(
                f"HH-{n:04d}", phone_e164=f"+25470000000{n}", has_disability=n == 2
            )
        cls.household.write({"phone_e164": "+254700000001"})
        cls.members = cls.membership
        for household in cls.households[1:]:
            cls.members |= cls.env["spp.program.membership"].create(
                {
                    "program_id": cls.program.id,
                    "partner_id": household.id,
                    "fsp_id": cls.fsp.id,
                }
            )
        cls.cash_member = cls.env["spp.program.membership"].create(
            {
                "program_id": cls.program.id,
                "partner_id": cls._create_household("HH-CASH").id,
                "channel": "payment_point",
            }
        )
        cls.cycle = cls._approve(
            cls._create_cycle(
                has_cap=True,
                cap_amount=60.0,
                rule_ids=[
                    (
                        0,
                        0,
                        {
                            "name": "Disability",
                            "code": "disability",
                            "amount": 15.0,
                            "condition": "[('partner_id.has_disability', '=', True)]",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Fee credit",
                            "code": "fee",
                            "amount": 0.7,
                            "counts_toward_cap": False,
                        },
                    ),
                ],
            )
        )

    @classmethod
    def _new_payroll(cls, cycle=None, **vals):
        return (
            cls.env["spp.payroll"]
            .with_user(cls.users["program_officer"])
            .create({"name": "Payroll", "cycle_id": (cycle or cls.cycle).id, **vals})
        )

    @classmethod
    def _approved_payroll(cls, cycle=None, **vals):
        payroll = cls._new_payroll(cycle, **vals)
        payroll.action_generate()
        return cls._approve(payroll)

    def _payment_of(self, payroll, household):
        return payroll.payment_ids.filtered(lambda p: p.partner_id == household)
