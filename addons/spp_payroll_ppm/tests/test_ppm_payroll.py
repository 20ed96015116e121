# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.spp_payment_base.tests.common import SppCompanyIsolationMixin

from .common import SppPpmPayrollCommon


class TestPpmGrouping(SppPpmPayrollCommon):
    """Payments of a payment point payroll are grouped by the approved
    points' criteria; members matching none or several wait for a decision."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.north_members = cls._cash_members(cls.north, 2)
        cls.south_members = cls._cash_members(cls.south, 1)
        cls.east_members = cls._cash_members(cls.east, 1)
        cls.cycle_ppm = cls._ppm_cycle(limit=1000.0)

    def _part_of(self, payroll, point):
        return payroll.payroll_point_ids.filtered(lambda p: p.payment_point_id == point)

    def test_payments_grouped_by_point_criteria(self):
        payroll = self._ppm_payroll(self.cycle_ppm)
        north = self._part_of(payroll, self.point_north)
        south = self._part_of(payroll, self.point_south)
        self.assertEqual((north.payment_count, north.amount_total), (2, 100.0))
        self.assertEqual((south.payment_count, south.amount_total), (1, 50.0))
        self.assertEqual(
            north.payment_ids.membership_id, self.north_members, "by the criteria"
        )
        self.assertEqual(
            set(north.payment_ids.mapped("payment_point_id")), {self.point_north}
        )
        # Only the payment point members are in the payroll, paid in cash.
        self.assertEqual(set(payroll.payment_ids.mapped("channel")), {"payment_point"})
        self.assertEqual(payroll.payment_ids.fsp_id, self.cash_fsp)
        # The East member matches no point: listed, not grouped.
        issue = payroll.point_issue_ids
        self.assertEqual(issue.payment_id.membership_id, self.east_members)
        self.assertEqual((issue.reason, issue.decision), ("none", "undecided"))
        self.assertFalse(issue.payment_id.payroll_point_id)

    def test_any_criteria_domain_groups(self):
        # Not one equality: compiled point by point, same result.
        point = self._point(
            "PEX",
            self.east,
            criteria=f"['|', ('partner_id.area_id', '=', {self.east.id}), "
            "('partner_id.registrant_number', '=', 'nobody')]",
        )
        payroll = self._ppm_payroll(self.cycle_ppm)
        self.assertFalse(payroll.point_issue_ids)
        self.assertEqual(
            self._part_of(payroll, point).payment_ids.membership_id, self.east_members
        )

    def test_unapproved_point_does_not_group(self):
        self._point("PE", self.east, approve=False)
        payroll = self._ppm_payroll(self.cycle_ppm)
        self.assertEqual(payroll.point_issue_ids.reason, "none")

    def test_several_matches_listed_and_decision_required(self):
        both = self._point(
            "PNE",
            self.north,
            criteria=f"[('partner_id.area_id', 'in', {[self.north.id, self.east.id]})]",
        )
        self._ppm("ppm_ne", both)
        payroll = self._ppm_payroll(self.cycle_ppm)
        issues = payroll.point_issue_ids
        several = issues.filtered(lambda i: i.reason == "several")
        self.assertEqual(several.payment_id.membership_id, self.north_members)
        self.assertEqual(several[0].candidate_point_ids, self.point_north | both)
        # East now matches PNE only: grouped there.
        self.assertEqual(
            self._part_of(payroll, both).payment_ids.membership_id, self.east_members
        )
        payroll.action_assign_ppms()
        with self.assertRaisesRegex(UserError, "match no payment point or several"):
            self._officer(payroll).action_submit()
        self.assertEqual(payroll.approval_state, "draft")
        # The officer decides: one to a point, the other excluded.
        first, second = several
        self._officer(first).point_id = self.point_north
        self.assertEqual(first.decision, "assign")
        with self.assertRaisesRegex(ValidationError, "not an approved"):
            self._officer(second).point_id = self._point("PX", self.east, approve=False)
        self._officer(second).action_exclude()
        self.assertFalse(second.exists())
        with self.assertRaisesRegex(UserError, "Group the payroll again"):
            self._officer(payroll).action_submit()
        self._officer(payroll).action_group_points()
        self.assertEqual(
            first.payment_id.payroll_point_id.payment_point_id, self.point_north
        )
        self.assertEqual(first.decision, "assign", "a decision survives a regrouping")
        payroll.action_assign_ppms()
        self._officer(payroll).action_submit()
        self.assertEqual(payroll.approval_state, "submitted")

    def test_grouping_restricted_to_the_payroll_points(self):
        payroll = self._new_payroll(
            self.cycle_ppm,
            kind="payment_point",
            member_domain="[('partner_id.area_id', '!=', False)]",
            point_restrict_ids=[(6, 0, self.point_north.ids)],
        )
        payroll.action_generate()
        self.assertEqual(payroll.payroll_point_ids.payment_point_id, self.point_north)
        self.assertEqual(len(payroll.point_issue_ids), 2, "South and East: no point")

    def test_grouping_needs_a_cash_fsp(self):
        self.cash_fsp.state = "disabled"
        payroll = self._new_payroll(self.cycle_ppm, kind="payment_point")
        self.assertFalse(payroll.cash_fsp_id)
        with self.assertRaisesRegex(UserError, "Cash at Payment Points"):
            payroll.action_generate()
        self.assertFalse(payroll.payment_ids, "nothing generated")


class TestPpmAssignmentAndSplit(SppPpmPayrollCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 50, 50, 50 and 30 at the North point, in that order.
        cls.north_members = cls._cash_members(cls.north, 4, topped_up=3)
        cls.south_members = cls._cash_members(cls.south, 1)
        cls.cycle_ppm = cls._ppm_cycle(limit=100.0)

    def test_split_over_the_carry_limit(self):
        payroll = self._ppm_payroll(self.cycle_ppm)
        parts = payroll.payroll_point_ids.filtered(
            lambda p: p.payment_point_id == self.point_north
        )
        self.assertEqual(parts.mapped("part_no"), [1, 2])
        self.assertEqual(parts.mapped("amount_total"), [100.0, 80.0])
        self.assertEqual(parts.mapped("payment_count"), [2, 2])
        for part in parts:
            self.assertEqual(sum(part.payment_ids.mapped("amount")), part.amount_total)
        self.assertEqual(
            sorted(parts.payment_ids.mapped("amount")), [30.0, 50.0, 50.0, 50.0]
        )

    def test_each_part_its_own_eligible_ppm(self):
        payroll = self._ppm_payroll(self.cycle_ppm)
        first, second = payroll.payroll_point_ids.filtered(
            lambda p: p.payment_point_id == self.point_north
        )
        south = payroll.payroll_point_ids - first - second
        with self.assertRaisesRegex(UserError, "without a payment point manager"):
            self._officer(payroll).action_submit()
        with self.assertRaisesRegex(ValidationError, "assigned to its payment point"):
            self._officer(first).manager_id = self.ppm_c  # serves South only
        suspended = self._ppm("ppm_s", self.point_north, state="suspended")
        with self.assertRaisesRegex(ValidationError, "approved, active"):
            self._officer(first).manager_id = suspended
        unapproved = self._ppm("ppm_u", self.point_north, approve=False)
        with self.assertRaisesRegex(ValidationError, "approved, active"):
            self._officer(first).manager_id = unapproved
        # One PPM for both parts would carry 180 over a limit of 100.
        self._officer(first | second).write({"manager_id": self.ppm_b.id})
        self._officer(south).manager_id = self.ppm_c
        self.assertEqual(first.payment_ids.mapped("ppm_id"), self.ppm_b)
        with self.assertRaisesRegex(UserError, "more than the carry limit"):
            self._officer(payroll).action_submit()
        self._officer(second).manager_id = self.ppm_a
        self._officer(payroll).action_submit()
        self.assertEqual(payroll.approval_state, "submitted")

    def test_assign_ppms_respects_points_and_limit(self):
        payroll = self._ppm_payroll(self.cycle_ppm)
        self.assertEqual(self._officer(payroll).action_assign_ppms(), 3)
        for part in payroll.payroll_point_ids:
            self.assertIn(part.payment_point_id, part.manager_id.point_ids)
        north = payroll.payroll_point_ids.filtered(
            lambda p: p.payment_point_id == self.point_north
        )
        self.assertEqual(len(north.manager_id), 2, "a PPM per part")
        self._officer(payroll).action_submit()

    def test_a_payment_above_the_limit_is_refused_clearly(self):
        cycle = self._ppm_cycle(limit=40.0, name="2026-12 low")
        payroll = self._ppm_payroll(cycle)
        # Every 50 gets a part of its own; nobody may carry it.
        north = payroll.payroll_point_ids.filtered(
            lambda p: p.payment_point_id == self.point_north
        )
        self.assertEqual(north.mapped("amount_total"), [50.0, 50.0, 50.0, 30.0])
        with self.assertRaisesRegex(UserError, "above the cycle's carry limit of 40"):
            self._officer(payroll).action_submit()

    def test_summary_per_point_and_ppm(self):
        payroll = self._ppm_payroll(self.cycle_ppm)
        payroll.action_assign_ppms()
        payroll.invalidate_recordset()
        by_point = {line["point"]: line for line in payroll.summary["by_point"]}
        self.assertEqual(
            by_point["PN Point PN"],
            {"point": "PN Point PN", "parts": 2, "payments": 4, "amount": 180.0},
        )
        by_ppm = payroll.summary["by_ppm"]
        self.assertEqual(sum(line["amount"] for line in by_ppm), 230.0)
        self.assertEqual(sum(line["payments"] for line in by_ppm), 5)
        self.assertIn("By payment point manager", payroll.summary_html)
        self.assertIn("PN Point PN", payroll.summary_html)
        self.assertEqual(payroll.point_part_count, 3)
        self.assertEqual(payroll.summary["by_fsp"][0]["fsp"], "Cash Points")

    def test_submitted_payroll_parts_and_assignments_locked(self):
        payroll = self._ppm_payroll(self.cycle_ppm)
        self._officer(payroll).action_assign_ppms()
        self._officer(payroll).action_submit()
        part = payroll.payroll_point_ids[0]
        with self.assertRaisesRegex(UserError, "submitted or approved"):
            self._officer(part).manager_id = self.ppm_a
        with self.assertRaisesRegex(UserError, "submitted or approved"):
            self._officer(payroll).action_group_points()
        with self.assertRaisesRegex(UserError, "submitted or approved"):
            self._officer(payroll).action_assign_ppms()
        with self.assertRaisesRegex(UserError, "submitted or approved"):
            part.sudo().unlink()
        with self.assertRaises(UserError):
            self._officer(payroll).kind = "digital"
        # The reused maker-checker: the officer who grouped never approves.
        with self.assertRaises(AccessError):
            payroll.with_user(self.users["program_officer"]).action_approve()
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})

    def test_whoever_assigns_ppms_does_not_approve(self):
        payroll = self._ppm_payroll(self.cycle_ppm)
        manager = self.users["admin"]
        payroll.with_user(manager).action_assign_ppms()
        self._officer(payroll).action_submit()
        with self.assertRaises(AccessError):
            payroll.with_user(manager).action_approve()

    def test_points_and_managers_through_the_mixin(self):
        point = self._point("PW", self.east, approve=False)
        manager = self._ppm("ppm_w", point, approve=False)
        east_member = self._cash_members(self.east, 1)
        for record in (point, manager):
            record.with_user(self.users["program_officer"]).action_submit()
            record.with_user(self.users["finance_manager"]).action_approve()
        payroll = self._ppm_payroll(self.cycle_ppm)
        part = payroll.payroll_point_ids.filtered(lambda p: p.payment_point_id == point)
        self.assertEqual(part.payment_ids.membership_id, east_member)
        part.manager_id = manager

    def test_parts_created_only_by_grouping(self):
        payroll = self._ppm_payroll(self.cycle_ppm)
        with self.assertRaisesRegex(UserError, "come from the payroll's grouping"):
            self.env["spp.payroll.point"].create(
                {"payroll_id": payroll.id, "payment_point_id": self.point_north.id}
            )
        with self.assertRaisesRegex(UserError, "Only the PPM of a part"):
            self._officer(payroll.payroll_point_ids[0]).amount_total = 1.0


class TestPpmAccess(SppPpmPayrollCommon, SppCompanyIsolationMixin):
    def test_ppm_gets_nothing_and_companies_isolated(self):
        self._cash_members(self.north, 1)
        payroll = self._ppm_payroll(self._ppm_cycle())
        payroll.action_assign_ppms()
        ppm_user = self.ppm_a.user_id
        for model in ("spp.payroll.point", "spp.payroll.point.issue", "spp.ppm.float"):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(ppm_user).search([])
        with self.assertRaises(AccessError):
            payroll.payroll_point_ids.with_user(ppm_user).read(["amount_total"])
        self._assert_company_isolated(
            {"spp.payroll.point": payroll.payroll_point_ids},
            self.users["admin"],
            self._spp_other_company_user(),
        )
