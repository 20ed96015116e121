# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from pathlib import Path

from spp_payment_core import iso20022

from odoo.exceptions import AccessDenied
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import fund_fsps, perform_jobs


@tagged("post_install", "-at_install")
class TestDemoGenerator(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.counts = cls.env["spp.demo.generator"]._generate(households=20, seed=0.1)
        # No simulated FSP answers here (see TestDemoSimulatedFsps).
        cls.env["spp.demo.fsp"]._configure("http://127.0.0.1:9")
        # The demo's FSP accounts are funded: their balances known (the
        # balance checks have their own tests in spp_payroll).
        fund_fsps(cls.env["spp.fsp"].search([]))
        cls.households = cls.env["res.partner"].search(
            [
                ("registrant_type", "=", "household"),
                ("registrant_number", "=like", "HH-%"),
            ]
        )

    def test_counts_and_links(self):
        self.assertEqual(self.counts["households"], 20)
        self.assertEqual(len(self.households), 20)
        members = self.env["spp.group.membership"].search(
            [("group_id", "in", self.households.ids)]
        )
        self.assertEqual(len(members), self.counts["individuals"])
        self.assertTrue(20 <= len(members) <= 120)
        sizes = {len(h.member_ids) for h in self.households}
        self.assertGreater(len(sizes), 2, "household sizes should vary")
        self.assertLessEqual(max(sizes), 6)
        for household in self.households:
            heads = household.member_ids.filtered(lambda m: m.role == "head")
            self.assertEqual(len(heads), 1, household.registrant_number)
        # The demo program's (other demo addons enrol some households in
        # programs of their own).
        memberships = self.env["spp.program.membership"].search(
            [
                ("partner_id", "in", self.households.ids),
                ("program_id.code", "=", "DEMO-CT"),
            ]
        )
        self.assertEqual(len(memberships), 20)
        self.assertEqual(memberships.program_id.approval_state, "approved")

    def test_values_are_valid_and_unique(self):
        individuals = self.households.member_ids.individual_id
        numbers = (self.households | individuals).mapped("registrant_number")
        self.assertEqual(len(numbers), len(set(numbers)))
        national_ids = individuals.mapped("national_id")
        self.assertEqual(len(national_ids), len(set(national_ids)))
        for phone in self.households.mapped("phone_e164"):
            self.assertRegex(phone, r"^\+[1-9]\d{6,14}$")
        self.assertTrue(all(p.complete_name for p in self.households | individuals))
        found = self.env["res.partner"].name_search(individuals[0].name)
        self.assertIn(individuals[0].id, [row[0] for row in found])

    def test_area_tree_is_searchable(self):
        country = self.env["spp.area"].search([("code", "=", "DEMO")])
        districts = self.env["spp.area"].search([("id", "child_of", country.id)])
        self.assertEqual(len(districts), 1 + 4 + 4 * 4)
        in_country = self.env["res.partner"].search_count(
            [("id", "in", self.households.ids), ("area_id", "child_of", country.id)]
        )
        self.assertEqual(in_country, 20)

    def test_second_call_adds_without_collision(self):
        before = set(self.households.mapped("registrant_number"))
        self.env["spp.demo.generator"]._generate(households=5)
        after = self.env["res.partner"].search(
            [
                ("registrant_type", "=", "household"),
                ("registrant_number", "=like", "HH-%"),
            ]
        )
        self.assertEqual(len(after), 25)
        self.assertTrue(before < set(after.mapped("registrant_number")))
        self.assertEqual(
            len(self.env["spp.fsp"].search([("name", "=", "Demo Bank (manual)")])), 1
        )

    def test_demo_users_log_in_with_their_roles(self):
        users = self.env["res.users"]
        for login, group in (
            ("officer", "spp_payment_base.group_spp_program_officer"),
            ("manager", "spp_payment_base.group_spp_finance_manager"),
            ("viewer", "spp_payment_base.group_spp_viewer"),
            ("payadmin", "spp_payment_base.group_spp_admin"),
        ):
            user = users.search([("login", "=", login)])
            self.assertTrue(user.has_group(group), login)
            info = users.authenticate(
                {"type": "password", "login": login, "password": login},
                {"interactive": False},
            )
            self.assertEqual(info["uid"], user.id)
        with self.assertRaises(AccessDenied):
            users.authenticate(
                {"type": "password", "login": "viewer", "password": "wrong"},
                {"interactive": False},
            )
        self.assertFalse(
            users.search([("login", "=", "viewer")]).has_group(
                "spp_payment_base.group_spp_program_officer"
            )
        )

    def test_demo_payroll_flags_shared_phones(self):
        self.env["spp.demo.generator"]._generate(households=400)
        cycle = self.env["spp.payment.cycle"].search(
            [("program_id.code", "=", "DEMO-CT")], limit=1
        )
        payroll = self.env["spp.payroll"].create({"name": "Demo", "cycle_id": cycle.id})
        payroll.action_generate()
        self.assertTrue(payroll.flagged_count >= 2)
        self.assertTrue(
            all(re.match(r"PAY\d+", r) for r in payroll.payment_ids.mapped("reference"))
        )

    def test_demo_payroll_executes_through_file_banks(self):
        """Demo users take a payroll through the CSV and ISO 20022 file banks: one
        fingerprinted file per bank, and the pain.001 validates."""
        users = {u.login: u for u in self.env["res.users"].search([])}
        cycle = self.env["spp.payment.cycle"].search(
            [("program_id.code", "=", "DEMO-CT")], limit=1
        )
        payroll = (
            self.env["spp.payroll"]
            .with_user(users["officer"])
            .create({"name": "Demo files", "cycle_id": cycle.id})
        )
        payroll.action_generate()
        payroll.action_submit()
        payroll.with_user(users["manager"]).action_approve()
        with trap_jobs() as trap:
            payroll.with_user(users["finance"]).action_execute()
            perform_jobs(trap)
        files = {f.fsp_id.name: f for f in payroll.payment_file_ids}
        self.assertEqual(set(files), {"Demo Bank (CSV file)", "Demo Bank (ISO 20022)"})
        iso = files["Demo Bank (ISO 20022)"]
        xsd = Path(file_path("spp_payment_file/data/iso20022/pain.001.001.09.xsd"))
        self.assertEqual(iso20022.validate(iso._spp_verified_content(), xsd), [])
        self.assertEqual(
            iso.payment_count,
            len(payroll.payment_ids.filtered(lambda p: p.fsp_id == iso.fsp_id)),
        )

    def test_each_role_sees_its_menus(self):
        root = self.env.ref("spp_payment_base.menu_spp_root")
        policies = self.env.ref("spp_payment_base.menu_spp_approval_policy")
        payrolls = self.env.ref("spp_payroll.menu_spp_payroll")
        for login in (
            "officer",
            "finance",
            "manager",
            "manager2",
            "viewer",
            "payadmin",
        ):
            user = self.env["res.users"].search([("login", "=", login)])
            visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            self.assertIn(root.id, visible, login)
            self.assertIn(payrolls.id, visible, login)
            self.assertEqual(policies.id in visible, login == "payadmin", login)
