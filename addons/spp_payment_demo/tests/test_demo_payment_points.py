# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import fund_fsps, perform_jobs


@tagged("post_install", "-at_install")
class TestDemoPaymentPoints(TransactionCase):
    """Issue #11's walk through the demo, as its users: the officer uploads the
    demo criteria file (one bad row), fixes it; a manager approves the points
    and the two PPMs; the officer builds a PPM payroll whose point is split
    over the cycle's carry limit; a manager approves it and prints the
    per-point PDFs; execution issues each PPM's float."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["spp.demo.generator"]._generate(households=300)
        cls.env["spp.demo.fsp"]._configure("http://127.0.0.1:9")
        # The demo's FSP accounts are funded: their balances known (the
        # balance checks have their own tests in spp_payroll).
        fund_fsps(cls.env["spp.fsp"].search([]))
        cls.users = {u.login: u for u in cls.env["res.users"].search([])}
        cls.program = cls.env["spp.program"].search([("code", "=", "DEMO-CT")])
        cls.cycle = cls.env["spp.payment.cycle"].search(
            [("program_id", "=", cls.program.id)], limit=1
        )

    def _upload(self, name):
        raw = open(file_path(f"spp_payment_demo/data/files/{name}"), "rb").read()
        wizard = (
            self.env["spp.payment.point.import"]
            .with_user(self.users["officer"])
            .create(
                {
                    "program_id": self.program.id,
                    "data": base64.b64encode(raw),
                    "file_name": name,
                }
            )
        )
        wizard.action_import()
        return wizard

    def test_points_ppms_split_payroll_and_floats(self):
        officer, manager = self.users["officer"], self.users["manager"]
        Point = self.env["spp.payment.point"]
        wrong = self._upload("payment_points_with_an_error.csv")
        self.assertEqual(wrong.state, "error")
        self.assertEqual(
            [(e.row, e.column) for e in wrong.error_ids], [(5, "latitude")]
        )
        self.assertFalse(Point.search([("code", "=like", "PP-%")]))
        points = self._upload("payment_points.csv").point_ids
        self.assertEqual(len(points), 4)
        self.assertEqual(set(points.mapped("approval_state")), {"submitted"})
        with self.assertRaises(AccessError):
            points[0].with_user(officer).action_approve()
        for point in points:
            point.with_user(manager).action_approve()
        self.assertGreater(
            points.filtered(lambda p: p.code == "PP-TUR").member_count, 0
        )

        ppms = self.env["spp.payment.point.manager"].search(
            [("user_id.login", "in", ["ppm1", "ppm2"])]
        )
        self.assertEqual(len(ppms), 2)
        self.assertTrue(all(u.share for u in ppms.user_id), "PPMs are portal users")
        for ppm in ppms.with_user(officer):
            ppm.point_ids = points
            ppm.action_submit()
            ppm.with_user(manager).action_approve()

        # The Turkana members at payment points: more than one carry limit.
        payroll = (
            self.env["spp.payroll"]
            .with_user(officer)
            .create(
                {
                    "name": "Turkana cash",
                    "cycle_id": self.cycle.id,
                    "kind": "payment_point",
                    "member_domain": "[('partner_id.area_id', 'child_of', "
                    f"{points.filtered(lambda p: p.code == 'PP-TUR').area_id.id})]",
                }
            )
        )
        payroll.action_generate()
        parts = payroll.payroll_point_ids
        self.assertEqual(parts.payment_point_id.mapped("code"), ["PP-TUR"])
        self.assertEqual(len(parts), 2, "split over the carry limit of 400")
        self.assertTrue(all(p.amount_total <= 400 for p in parts))
        payroll.action_assign_ppms()
        self.assertEqual(parts.manager_id, ppms)
        payroll.action_submit()
        payroll.with_user(manager).action_approve()
        report = self.env.ref("spp_payroll_ppm.action_report_spp_payroll_point")
        html, _kind = report.with_user(manager)._render_qweb_html(
            report.report_name, parts.ids
        )
        for part in parts:
            for payment in part.payment_ids:
                self.assertIn(payment.reference, html.decode())
        with trap_jobs() as trap:
            payroll.with_user(self.users["finance"]).action_execute()
            perform_jobs(trap)
        floats = payroll.ppm_float_ids
        self.assertEqual(floats.manager_id, ppms)
        self.assertEqual(sum(floats.mapped("amount_issued")), payroll.total_amount)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"sent"})
