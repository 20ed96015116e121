# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core.entitlement import Row, compute_entitlement

from odoo.exceptions import AccessError, UserError, ValidationError

from .common import SppCycleCommon


class TestCycle(SppCycleCommon):
    def test_only_approved_programs_have_cycles(self):
        draft = self.env["spp.program"].create({"name": "Pilot"})
        with self.assertRaisesRegex(ValidationError, "not approved"):
            self._create_cycle(program_id=draft.id)

    def test_rules_become_core_rules(self):
        days = self.env["ir.model.fields"]._get("spp.program.membership", "days_worked")
        cycle = self._create_cycle(
            has_cap=True,
            cap_amount=70.0,
            back_payment_limit=2,
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
                        "multiplier_field_id": days.id,
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
        rules = cycle._spp_entitlement_rules()
        self.assertEqual(rules.cap, Decimal("70.0"))
        self.assertEqual(
            [(c.code, c.multiplier, c.counts_toward_cap) for c in rules.components],
            [("dis", None, True), ("day", "days_worked", True), ("fee", None, False)],
        )
        ent = compute_entitlement(
            rules, Row(1, frozenset({"dis", "day", "fee"}), {"days_worked": 4})
        )
        # 50 + 15 + 10 = 75 capped to 70, plus the 0.70 fee credit.
        self.assertEqual(ent.amount, Decimal("70.70"))
        self.assertTrue(ent.capped)

    def test_bad_condition_refused(self):
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            self._create_cycle(
                rule_ids=[
                    (
                        0,
                        0,
                        {
                            "name": "x",
                            "code": "x",
                            "amount": 1.0,
                            "condition": "[('no_such_field', '=', 1)]",
                        },
                    )
                ]
            )

    def test_maker_checker_and_lock(self):
        cycle = self._create_cycle(
            rule_ids=[(0, 0, {"name": "Top-up", "code": "top", "amount": 5.0})]
        )
        officer = cycle.with_user(self.users["program_officer"])
        officer.action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            officer.action_approve()
        with self.assertRaisesRegex(UserError, "components cannot change"):
            cycle.rule_ids.with_user(self.users["program_officer"]).write(
                {"amount": 500.0}
            )
        cycle.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(cycle.approval_state, "approved")
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            officer.write({"fixed_amount": 1000.0})
        with self.assertRaisesRegex(UserError, "components cannot change"):
            cycle.rule_ids.unlink()
        self.assertEqual(cycle.fixed_amount, 50.0)

    def test_cap_needs_an_amount(self):
        cycle = self._create_cycle(has_cap=True)
        with self.assertRaisesRegex(UserError, "cap amount"):
            cycle.with_user(self.users["program_officer"]).action_submit()
        self.assertEqual(cycle.approval_state, "draft")

    def test_late_flag(self):
        cycle = self._create_cycle()
        self.assertFalse(cycle._spp_is_late("2026-11-30"))
        self.assertTrue(cycle._spp_is_late("2026-12-01"))
