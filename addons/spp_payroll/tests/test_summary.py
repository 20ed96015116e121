# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from contextlib import contextmanager
from html import unescape

from odoo.tools import format_amount

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SppPayrollCommon, perform_jobs


class TestPayrollSummary(SppPayrollCommon):
    """The payroll's figures as a user reads them: labelled tables with
    amounts in the currency, smart buttons counted in one statement, each
    opening the matching list; the form loads no payment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payroll = cls._approved_payroll()
        with trap_jobs() as trap:
            cls.payroll.with_user(cls.users["finance_officer"]).action_execute()
            perform_jobs(trap)
        cls.failed = cls.payroll.payment_ids[0]
        cls.failed._set_failed(reason="account closed")

    def _money(self, amount):
        return format_amount(self.env, amount, self.payroll.currency_id)

    def test_summary_tables_are_labelled_and_formatted(self):
        payroll = self.payroll
        payroll.invalidate_recordset()
        html = unescape(str(payroll.summary_html))
        for label in (
            "Total amount",
            "Above the member's balance",
            "Flagged as possible duplicates",
            "Fixed amount",
            "Disability",
            "Fee credit",
            "Failed, rejected or reversed",
            "Pending",
        ):
            self.assertIn(label, html)
        # No raw keys, no bare floats.
        raw_keys = ("over_balance", "<th>fsp</th>", "<td>fee</td>", "<td>fixed</td>")
        for raw in (*raw_keys, "pending ("):
            self.assertNotIn(raw, html)
        total = sum(payroll.payment_ids.mapped("amount"))
        self.assertIn(self._money(total), html)
        self.assertIn(self._money(self.failed.amount), html)
        self.assertNotIn(f">{total}<", html)

    def test_dry_run_table(self):
        cycle = self._create_cycle(
            name="2026-12", date_start="2026-12-01", date_end="2026-12-31"
        )
        payroll = self._new_payroll(cycle=self._approve(cycle))
        payroll.action_preview()
        html = unescape(str(payroll.preview_html))
        self.assertIn("Cut to the cycle's cap", html)
        self.assertIn("Compared with the payroll", html)
        self.assertIn(self._money(float(payroll.preview["amount"])), html)
        self.assertNotIn("over_balance", html)

    def test_smart_buttons_count_in_one_pass_and_open_their_lists(self):
        payroll = self.payroll
        payroll.invalidate_recordset()
        counts = {}

        def read():
            counts.update(
                {
                    name: payroll[name]
                    for name in (
                        "count_payments",
                        "count_paid",
                        "count_failed",
                        "count_pending",
                        "count_unknown",
                        "count_runs",
                    )
                }
            )

        self.assertEqual(len(self._queries_over_payments(read)), 1)
        self.assertEqual(
            counts,
            {
                "count_payments": 5,
                "count_paid": 0,
                "count_failed": 1,
                "count_pending": 4,
                "count_unknown": 0,
                "count_runs": 1,
            },
        )
        action = payroll.with_context(spp_outcome="failed").action_view_payments()
        self.assertEqual(self.env["spp.payment"].search(action["domain"]), self.failed)
        action = payroll.action_view_payments()
        self.assertEqual(
            self.env["spp.payment"].search(action["domain"]), payroll.payment_ids
        )
        self.assertEqual(
            self.env["spp.payroll.run"].search(payroll.action_view_runs()["domain"]),
            payroll.run_ids,
        )

    def test_the_form_loads_no_payment(self):
        arch = self.env["spp.payroll"].get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        self.assertNotIn('name="payment_ids"', arch)
        self.assertIn('name="action_view_payments"', arch)
        data = self.payroll.with_user(self.users["finance_officer"]).web_read(
            {"name": {}, "count_payments": {}, "status": {}}
        )
        self.assertEqual(data[0]["count_payments"], 5)

    def _stored_totals(self, payroll):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT payment_count, beneficiary_count, total_amount, flagged_count, "
            "summary_totals FROM spp_payroll WHERE id = %s",
            [payroll.id],
        )
        return self.env.cr.fetchone()

    def test_totals_are_stored_and_kept_by_the_payroll_statements(self):
        """A list of payrolls reads their totals from their own rows: the
        generation stores them, removing a payment counts them again, and
        reading them runs no aggregate over the payments."""
        cycle = self._approve(
            self._create_cycle(
                name="2026-11", date_start="2026-11-01", date_end="2026-11-30"
            )
        )
        payroll = self._new_payroll(cycle=cycle)
        payroll.action_generate()
        payments = payroll.payment_ids
        count, beneficiaries, amount, flagged, stored = self._stored_totals(payroll)
        self.assertEqual(count, len(payments))
        self.assertEqual(beneficiaries, len(payments.partner_id))
        self.assertEqual(float(amount), sum(payments.mapped("amount")))
        self.assertEqual(flagged, len(payments.filtered("is_duplicate")))
        self.assertEqual(
            sum(line["payments"] for line in stored["by_fsp"]), len(payments)
        )
        removed = payments[0]
        removed.with_user(self.users["program_officer"]).action_remove_from_payroll()
        count, _b, amount, _f, _s = self._stored_totals(payroll)
        self.assertEqual(count, len(payments) - 1)
        self.assertEqual(
            float(amount), sum((payments - removed).exists().mapped("amount"))
        )
        payroll.invalidate_recordset()
        with self.assertQueryCount(1):
            self.assertEqual(payroll.payment_count, len(payments) - 1)
            self.assertEqual(payroll.flagged_count, 0)

    def _queries_over_payments(self, function):
        queries = []
        with contextmanager(self._patchExecute)(queries):
            function()
        return [q for q in queries if "from spp_payment p" in q.lower()]

    def test_summary_and_counts_in_one_pass(self):
        """The form's summary and smart buttons come from one grouped pass
        over the payments; the totals are stored."""
        payroll = self.payroll
        payroll.invalidate_recordset()

        def read():
            self.assertTrue(payroll.summary_html)
            self.assertEqual(payroll.count_failed, 1)
            self.assertEqual(payroll.payment_count, 5)

        self.assertEqual(len(self._queries_over_payments(read)), 1)
