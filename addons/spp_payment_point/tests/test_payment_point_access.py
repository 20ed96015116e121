# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from odoo.addons.spp_payment_base.tests.common import SppCompanyIsolationMixin

from .common import SppPointCommon


class TestPaymentPointAccess(SppCompanyIsolationMixin, SppPointCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.point = cls._approved_point()
        cls.ppm = cls.Manager.create(
            {
                "name": "Achieng Odhiambo",
                "login": "ppm_achieng",
                "phone": "+254711000001",
                "point_ids": [Command.set(cls.point.ids)],
            }
        )
        cls.payment = cls._create_payment()

    def test_creating_a_manager_creates_a_portal_user_in_the_ppm_group(self):
        user = self.ppm.user_id
        self.assertEqual(user.login, "ppm_achieng")
        self.assertEqual(user.name, "Achieng Odhiambo")
        self.assertEqual(user.phone, "+254711000001")
        self.assertTrue(user.share, "a portal user, not an internal one")
        self.assertIn(self.env.ref("spp_payment_point.group_spp_ppm"), user.group_ids)
        self.assertTrue(user._is_portal())
        with self.assertRaisesRegex(UserError, "already taken"):
            self.Manager.create({"name": "Twin", "login": "ppm_achieng"})
        with self.assertRaises(UserError):
            self.Manager.create({"name": "No user"})

    def test_internal_users_cannot_be_managers(self):
        with self.assertRaises(ValidationError):
            self.Manager.create({"name": "Officer", "user_id": self.officer.id})

    def test_ppm_reads_no_registry_through_the_orm(self):
        env = self.env(user=self.ppm.user_id)
        beneficiaries = env["res.partner"].browse(self.household.ids)
        with self.assertRaises(AccessError):
            beneficiaries.read(["name"])
        self.assertFalse(
            env["res.partner"].search([("is_registrant", "=", True)]),
            "no beneficiary is found by search",
        )
        for model, record in (
            ("spp.program.membership", self.membership),
            ("spp.payment", self.payment),
            ("spp.program", self.program),
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                env[model].search([("id", "=", record.id)])
            with self.subTest(model=model), self.assertRaises(AccessError):
                env[model].browse(record.id).read(["id"])

    def test_ppm_reads_no_registry_through_rpc(self):
        """What the web client and JSON-RPC call: call_kw on the model."""
        from odoo.service.model import call_kw  # noqa: PLC0415

        env = self.env(user=self.ppm.user_id)
        for model, method, args in (
            ("res.partner", "read", [self.household.ids, ["name"]]),
            ("spp.program.membership", "search_read", [[]]),
            ("spp.payment", "search_read", [[]]),
            ("spp.payment.point", "search_read", [[]]),
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                call_kw(env[model], method, args, {})

    def test_other_companies_points_and_managers_are_invisible(self):
        other = self._spp_other_company_user()
        self._assert_company_isolated(
            {"spp.payment.point": self.point, "spp.payment.point.manager": self.ppm},
            self.users["admin"],
            other,
        )

    def test_viewer_reads_points_but_changes_nothing(self):
        viewer = self.users["viewer"]
        self.assertEqual(
            self.env["spp.payment.point"].with_user(viewer).search([]), self.point
        )
        with self.assertRaises(AccessError):
            self.point.with_user(viewer).write({"state": "closed"})
        outsider = new_test_user(
            self.env, login="nobody_internal", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            self.env["spp.payment.point"].with_user(outsider).search([])
