# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core.reconcile import Line

from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs

from .common import SppPpmPayrollCommon


class TestPpmExecution(SppPpmPayrollCommon):
    """Executing a PPM payroll sends through the cash provider: payments
    issued to their PPM, one cash float per part; the floats' cash is
    accounted for before the cycle's PPM payrolls close."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.north_members = cls._cash_members(cls.north, 4, topped_up=3)
        cls.south_members = cls._cash_members(cls.south, 1)
        cls.cycle_ppm = cls._ppm_cycle(limit=100.0)
        cls.payroll = cls._ppm_payroll(cls.cycle_ppm)
        cls.payroll.action_assign_ppms()
        cls._approve(cls.payroll)

    def _execute(self):
        with trap_jobs() as trap:
            self.payroll.with_user(self.users["finance_officer"]).action_execute()
            perform_jobs(trap)
        self.payroll.invalidate_recordset()
        self.payroll.payment_ids.invalidate_recordset()

    def test_execution_issues_floats_and_sends_in_cash(self):
        self._execute()
        payments = self.payroll.payment_ids
        self.assertEqual(set(payments.mapped("state")), {"sent"})
        self.assertEqual(payments.current_attempt_id.fsp_id, self.cash_fsp)
        floats = self.payroll.ppm_float_ids
        self.assertEqual(len(floats), 3, "one float per part")
        for part in self.payroll.payroll_point_ids:
            self.assertEqual(part.float_id.payroll_point_id, part)
            self.assertEqual(part.float_id.manager_id, part.manager_id)
            self.assertEqual(part.float_id.payment_point_id, part.payment_point_id)
            self.assertEqual(part.float_id.cycle_id, self.cycle_ppm)
            self.assertEqual(part.float_id.amount_issued, part.amount_total)
            self.assertEqual(part.float_id.variance, part.amount_total)
            self.assertEqual(part.float_id.state, "open")
        self.assertEqual(sum(floats.mapped("amount_issued")), 230.0)
        self.assertEqual(payments.ppm_id, self.payroll.payroll_point_ids.manager_id)

    def test_cash_refuses_status_queries_and_callbacks(self):
        self._execute()
        with self.assertRaisesRegex(UserError, "no status to query"):
            self.cash_fsp._spp_fetch_status(self.payroll.payment_ids)
        with self.assertRaisesRegex(UserError, "accepts no callbacks"):
            self.cash_fsp._spp_handle_callback({})
        with self.assertRaises(ValueError):
            self.cash_fsp._spp_parse_callback({})
        self.assertFalse(self.cash_fsp._spp_supports_status_query())

    def test_floats_are_not_made_by_hand(self):
        with self.assertRaisesRegex(UserError, "issued by executing"):
            self.env["spp.ppm.float"].create(
                {
                    "name": "x",
                    "manager_id": self.ppm_a.id,
                    "cycle_id": self.cycle_ppm.id,
                    "payroll_id": self.payroll.id,
                    "payment_point_id": self.point_north.id,
                }
            )
        self._execute()
        float_ = self.payroll.ppm_float_ids[0]
        with self.assertRaisesRegex(UserError, "Only the cash returned"):
            float_.with_user(self.users["finance_officer"]).amount_issued = 1.0

    def _accept_ppm_batch(self, payments, amounts):
        lines = [
            Line(row, payment.id, "paid", Decimal(str(amount)))
            for row, (payment, amount) in enumerate(
                zip(payments, amounts, strict=True), start=1
            )
        ]
        batch = (
            self.env["spp.reconciliation"]
            .with_user(self.users["finance_officer"])
            ._spp_create_batch(
                {
                    "name": "PPM sync",
                    "source": "ppm",
                    "program_id": self.program.id,
                    "payroll_id": self.payroll.id,
                    "fsp_id": self.cash_fsp.id,
                },
                lines,
            )
        )
        batch.with_user(self.users["finance_officer"]).action_submit()
        batch.with_user(self.users["finance_manager"]).action_approve()
        return batch

    def test_handed_out_follows_accepted_ppm_batches_and_close_rules(self):
        self._execute()
        part = self.payroll.payroll_point_ids.filtered(
            lambda p: p.payment_point_id == self.point_north and p.part_no == 1
        )
        float_ = part.float_id
        self.assertEqual(float_.amount_issued, 100.0)
        first, second = part.payment_ids.sorted("id")
        self._accept_ppm_batch(first, [50.0])
        float_.invalidate_recordset()
        self.assertEqual(float_.amount_handed_out, 50.0)
        self.assertEqual(float_.variance, 50.0)
        # The set-based hook is idempotent: recomputed from the paid payments.
        float_._spp_recompute_handed_out()
        self.assertEqual(float_.amount_handed_out, 50.0)
        finance = float_.with_user(self.users["finance_officer"])
        with self.assertRaises(AccessError):
            float_.with_user(self.users["program_officer"]).amount_returned = 50.0
        finance.amount_returned = 40.0
        self.assertEqual(float_.variance, 10.0)
        with self.assertRaisesRegex(UserError, "explain it"):
            finance.action_close()
        self.assertEqual(float_.state, "open")
        # The payroll does not close while a float of its cycle is open.
        with self.assertRaisesRegex(UserError, "still open"):
            self.payroll.with_user(self.users["finance_officer"]).action_close()
        finance.variance_note = "10 short: counted twice at the point."
        finance.action_close()
        self.assertEqual(float_.state, "closed")
        self.assertEqual(float_.variance, 10.0)
        with self.assertRaisesRegex(UserError, "Closed floats"):
            finance.amount_returned = 50.0
        # The other floats: nothing handed out, all returned, variance zero.
        for other in self.payroll.ppm_float_ids - float_:
            other = other.with_user(self.users["finance_officer"])
            other.amount_returned = other.amount_issued
            self.assertEqual(other.variance, 0.0)
            other.action_close()
        self.payroll.with_user(self.users["finance_officer"]).action_close()
        self.assertTrue(self.payroll.closed_date)
        with self.assertRaises(UserError):
            self.payroll.with_user(self.users["finance_officer"]).action_close()

    def test_add_handed_out(self):
        self._execute()
        float_ = self.payroll.ppm_float_ids[0]
        issued = float_.amount_issued
        self.env["spp.ppm.float"]._spp_add_handed_out({float_.id: 20.0})
        self.assertEqual(float_.amount_handed_out, 20.0)
        self.assertEqual(float_.variance, issued - 20.0)

    def test_only_ppm_payrolls_close_and_only_executed(self):
        with self.assertRaisesRegex(UserError, "not been executed"):
            self.payroll.with_user(self.users["finance_officer"]).action_close()
        with self.assertRaises(AccessError):
            self.payroll.with_user(self.users["program_officer"]).action_close()
        with self.assertRaises(UserError):
            self.payroll.with_user(self.users["finance_officer"]).write(
                {"closed_date": "2026-12-31 00:00:00"}
            )
