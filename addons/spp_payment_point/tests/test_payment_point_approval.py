# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command
from odoo.exceptions import AccessError, UserError

from .common import SppPointCommon


class TestPaymentPointApproval(SppPointCommon):
    def test_point_maker_never_approves_checker_does(self):
        point = self._point()
        self.assertEqual(point.approval_state, "draft")
        point.action_submit()
        self.assertEqual(point.approval_state, "submitted")
        with self.assertRaises(AccessError):
            point.action_approve()
        # An approver who edited the point is a maker too.
        draft = self._point("P-2")
        draft.with_user(self.users["admin"]).write({"capacity": 10})
        draft.action_submit()
        with self.assertRaises(AccessError):
            draft.with_user(self.users["admin"]).action_approve()
        point.with_user(self.checker).action_approve()
        self.assertEqual(point.approval_state, "approved")

    def test_checker_cannot_make_points(self):
        with self.assertRaises(AccessError):
            self.env["spp.payment.point"].with_user(self.checker).create(
                {"name": "X", "code": "X"}
            )

    def test_rejection_with_reason_leaves_point_as_it_was(self):
        point = self._point(capacity=40, address="Market street")
        before = point.read(["name", "code", "capacity", "address", "criteria_domain"])
        point.action_submit()
        checker_point = point.with_user(self.checker)
        with self.assertRaises(UserError):
            checker_point.action_reject("  ")
        self.assertEqual(point.approval_state, "submitted")
        checker_point.action_reject("Wrong village")
        self.assertEqual(point.approval_state, "draft")
        self.assertEqual(point.rejection_reason, "Wrong village")
        self.assertEqual(
            point.read(["name", "code", "capacity", "address", "criteria_domain"]),
            before,
        )
        # The maker fixes it and submits again.
        point.write({"capacity": 50})
        point.action_submit()
        checker_point.action_approve()
        self.assertEqual(point.approval_state, "approved")

    def test_submitted_point_is_frozen_but_can_close(self):
        point = self._approved_point()
        with self.assertRaises(UserError):
            point.write({"criteria_domain": "[]"})
        point.action_close()
        self.assertEqual(point.state, "closed")
        with self.assertRaises(UserError):
            point.write({"state": "active"})

    def test_manager_maker_checker_and_rejection(self):
        point = self._approved_point()
        manager = self.Manager.create(
            {
                "name": "Achieng",
                "login": "ppm_achieng",
                "phone": "+254711000001",
                "id_number": "ID-1",
                "point_ids": [Command.set(point.ids)],
            }
        )
        manager.action_submit()
        with self.assertRaises(AccessError):
            manager.action_approve()
        manager.with_user(self.checker).action_reject("ID not verified")
        self.assertEqual(manager.approval_state, "draft")
        self.assertEqual(manager.rejection_reason, "ID not verified")
        self.assertEqual(
            (manager.name, manager.phone, manager.id_number, manager.point_ids),
            ("Achieng", "+254711000001", "ID-1", point),
        )
        manager.action_submit()
        manager.with_user(self.checker).action_approve()
        self.assertEqual(manager.approval_state, "approved")
        # Assignments are part of the approval.
        other = self._approved_point("P-2")
        with self.assertRaises(UserError):
            manager.write({"point_ids": [Command.link(other.id)]})
        with self.assertRaises(UserError):
            other.write({"manager_ids": [Command.link(manager.id)]})
        draft_point = self._point("P-3")
        with self.assertRaisesRegex(UserError, "submitted for approval"):
            draft_point.write({"manager_ids": [Command.link(manager.id)]})
        self.assertEqual(manager.point_ids, point)

    def test_manager_serves_only_approved_points(self):
        draft_point = self._point()
        manager = self.Manager.create(
            {
                "name": "Otieno",
                "login": "ppm_otieno",
                "point_ids": [Command.set(draft_point.ids)],
            }
        )
        with self.assertRaisesRegex(UserError, "approved points"):
            manager.action_submit()
        self.assertEqual(manager.approval_state, "draft")
        empty = self.Manager.create({"name": "Nobody", "login": "ppm_nobody"})
        with self.assertRaisesRegex(UserError, "no payment point"):
            empty.action_submit()

    def test_point_form_edit_of_assignment_makes_a_contributor(self):
        """Linking a draft manager from the point's side makes the officer a
        maker of the manager: they cannot approve it."""
        point = self._approved_point()
        manager = self.Manager.create({"name": "Wanjiru", "login": "ppm_wanjiru"})
        draft_point = (
            self.env["spp.payment.point"]
            .with_user(self.users["admin"])
            .create(
                {
                    "name": "Admin point",
                    "code": "P-ADM",
                    "manager_ids": [Command.link(manager.id)],
                }
            )
        )
        self.assertEqual(manager.point_ids, draft_point)
        manager.write({"point_ids": [Command.set(point.ids)]})
        manager.action_submit()
        with self.assertRaises(AccessError):
            manager.with_user(self.users["admin"]).action_approve()
