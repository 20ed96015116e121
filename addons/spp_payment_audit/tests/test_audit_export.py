# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payment_base.tools import guarded_write

from ..models import spp_payment_audit_export as audit_export
from .common import SppAuditCommon

Export = audit_export.SppPaymentAuditExport


class TestAuditExport(SppAuditCommon):
    def _export(self, user="finance_officer", **vals):
        vals = vals or {"scope": "payroll", "payroll_id": self.payroll.id}
        export = (
            self.env["spp.payment.audit.export"]
            .with_user(self.users[user])
            .create(vals)
        )
        action = export.action_export()
        return export, action

    def _labels(self, name):
        field = self.env["spp.payment"]._fields[name]
        return dict(field._description_selection(self.env))

    def _expected_payment(self, payment, masked=True):
        destination = payment.destination
        if masked:
            destination = "*" * (len(destination) - 4) + destination[-4:]
        current = payment.current_attempt_id
        message = payment.status_reason or " ".join(
            filter(None, [current.fsp_reason_code, current.fsp_status_raw])
        )
        name = payment.partner_id.name
        return (
            payment.reference,
            "'" + name if name.startswith("=") else name,
            payment.partner_id.registrant_number,
            payment.program_id.name,
            payment.cycle_id.name,
            payment.payroll_id.name,
            self._labels("channel")[payment.channel],
            payment.fsp_id.name or None,
            destination or None,
            payment.amount,
            payment.currency_id.name,
            self._labels("state")[payment.state],
            payment.paid_amount or None,
            payment.paid_date or None,  # to the second, as stored by Odoo
            payment.external_ref or None,
            payment.attempt_count,
            message or None,
        )

    def _expected_attempt(self, attempt):
        message = attempt.fsp_status_raw
        if message and message.startswith("="):
            message = "'" + message
        return (
            attempt.payment_id.reference,
            attempt.attempt_no,
            self._labels("state")[attempt.state],
            attempt.fsp_id.name or None,
            attempt.idempotency_key,
            attempt.fsp_txn_id or None,
            attempt.create_date.replace(microsecond=0),
            attempt.sent_date or None,
            attempt.write_date.replace(microsecond=0),
            attempt.fsp_reason_code or None,
            message or None,
        )

    def test_payroll_export_has_every_payment_and_attempt(self):
        # The fixture is what an audit must show: paid, failed, retried.
        states = sorted(self.payments.mapped("state"))
        self.assertEqual(states.count("paid"), 2)
        self.assertIn("failed", states)
        self.assertEqual(max(self.payments.mapped("attempt_count")), 2)
        export, action = self._export()
        self.assertEqual(export.state, "done")
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"/web/content/{export.attachment_id.id}", action["url"])
        sheets = self._sheets(export.attachment_id)
        self.assertEqual(list(sheets), ["Summary", "Payments", "Attempts"])
        header, *rows = sheets["Payments"]
        self.assertEqual(
            header,
            tuple(c[0]._translate("en_US") for c in audit_export.PAYMENT_COLUMNS),
        )
        self.assertEqual(
            rows, [self._expected_payment(p) for p in self.payments.sorted("id")]
        )
        attempts = self.payments.attempt_ids.sorted(
            lambda a: (a.payment_id.id, a.attempt_no)
        )
        self.assertEqual(len(attempts), 7)  # five sent, two of them retried
        header, *rows = sheets["Attempts"]
        self.assertEqual(
            header,
            tuple(c[0]._translate("en_US") for c in audit_export.ATTEMPT_COLUMNS),
        )
        self.assertEqual(rows, [self._expected_attempt(a) for a in attempts])
        failed_twice = attempts.filtered(
            lambda a: a.payment_id.partner_id.registrant_number == "HH-0003"
        )
        self.assertEqual(failed_twice.mapped("state"), ["rejected", "failed"])
        self.assertEqual(export.rows_done, len(self.payments) + len(attempts))
        self.assertEqual(export.rows_total, export.rows_done)
        self.assertTrue(export.destinations_masked)

    def test_no_cell_is_a_formula(self):
        export, _action = self._export()
        cells = [
            cell
            for rows in self._sheets(export.attachment_id).values()
            for row in rows
            for cell in row
            if isinstance(cell, str)
        ]
        self.assertIn("'=SUM(A1:A9)", cells)
        self.assertIn('\'=HYPERLINK("http://x")', cells)
        self.assertFalse([c for c in cells if c.startswith(("=", "@"))])

    def test_finance_manager_gets_destinations_in_full(self):
        export, _action = self._export("finance_manager")
        self.assertFalse(export.destinations_masked)
        _header, *rows = self._sheets(export.attachment_id)["Payments"]
        self.assertEqual(
            rows,
            [
                self._expected_payment(p, masked=False)
                for p in self.payments.sorted("id")
            ],
        )
        # An officer reads their own exports only, never a manager's file.
        officer = self.users["finance_officer"]
        self.assertFalse(
            self.env["spp.payment.audit.export"]
            .with_user(officer)
            .search([("id", "=", export.id)])
        )
        with self.assertRaises(AccessError):
            export.attachment_id.with_user(officer).read(["datas"])

    def test_large_export_runs_as_a_job_with_progress(self):
        self.env["ir.config_parameter"].set_param(audit_export.THRESHOLD_PARAM, "3")
        seen = []
        write_progress = Export._spp_write_progress

        def spy(export, values, own_cursor):
            seen.append((values.get("rows_done"), own_cursor))
            return write_progress(export, values, own_cursor)

        with trap_jobs() as trap:
            export, action = self._export()
            self.assertEqual(export.state, "queued")
            self.assertFalse(export.attachment_id)
            self.assertEqual(action["res_id"], export.id)
            trap.assert_jobs_count(1, only=export._job_export)
            with (
                patch.object(audit_export, "PAGE_SIZE", 2),
                patch.object(Export, "_spp_write_progress", spy),
                self.enter_registry_test_mode(),
            ):
                trap.perform_enqueued_jobs()
        export.invalidate_recordset()
        self.assertEqual(export.state, "done")
        self.assertEqual(export.rows_done, export.rows_total)
        self.assertEqual(export.rows_total, len(self.payments) + 7)
        self.assertEqual(export.progress, 100.0)
        # Written page by page, each time from a cursor of its own.
        done = [rows for rows, _own in seen if rows is not None]
        self.assertEqual(done, sorted(done))
        self.assertGreaterEqual(len(done), 5)
        self.assertEqual(done[-1], export.rows_total)
        self.assertTrue(all(own for _rows, own in seen))
        # The form is told through the bus: at the state changes, and between
        # them at most every few seconds, not at every page.
        self.env.cr.precommit.run()
        told = [
            message
            for message in self.env["bus.bus"].sudo().search([])
            if json.loads(message.message)
            == {
                "type": "spp.progress",
                "payload": {"model": export._name, "ids": [export.id]},
            }
        ]
        self.assertGreaterEqual(len(told), 2)
        self.assertLess(len(told), len(done))
        _header, *rows = self._sheets(export.attachment_id)["Payments"]
        self.assertEqual(len(rows), len(self.payments))

    def test_below_the_threshold_no_job(self):
        with trap_jobs() as trap:
            export, _action = self._export()
            trap.assert_jobs_count(0)
        self.assertEqual(export.state, "done")

    def test_access_refused_without_finance_rights(self):
        for role in ("viewer", "program_officer"):
            with self.subTest(role=role), self.assertRaises(AccessError):
                self._export(role)
        export = (
            self.env["spp.payment.audit.export"]
            .with_user(self.users["finance_officer"])
            .create({"scope": "payroll", "payroll_id": self.payroll.id})
        )
        viewer = self.users["viewer"]
        with self.assertRaises(AccessError):
            export.with_user(viewer).action_export()
        # Nor through the job, whoever enqueued it.
        with self.assertRaises(AccessError):
            export.with_user(viewer)._job_export()
        # What an export did is not the client's to write.
        with self.assertRaisesRegex(UserError, "set by the export itself"):
            export.write({"state": "done"})
        with self.assertRaisesRegex(UserError, "set by the export itself"):
            self.env["spp.payment.audit.export"].with_user(
                self.users["finance_officer"]
            ).create(
                {"scope": "payroll", "payroll_id": self.payroll.id, "rows_done": 9}
            )

    def test_incomplete_scope_is_refused(self):
        model = self.env["spp.payment.audit.export"].with_user(
            self.users["finance_officer"]
        )
        for vals, message in [
            ({"scope": "payroll"}, "Choose the payroll"),
            ({"scope": "program"}, "Choose the program"),
            ({"scope": "period", "date_from": "2026-11-01"}, "both dates"),
            (
                {"scope": "period", "date_from": "2026-12-01", "date_to": "2026-11-01"},
                "ends before it starts",
            ),
        ]:
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, message):
                model.create(vals).action_export()

    def test_program_and_period_scopes(self):
        other = self._approved_payroll(
            cycle=self._approve(
                self._create_cycle(
                    name="2026-12", date_start="2026-12-01", date_end="2026-12-31"
                )
            ),
            name="December",
        )

        def refs(export):
            _header, *rows = self._sheets(export.attachment_id)["Payments"]
            return sorted(row[0] for row in rows)

        program, _ = self._export(scope="program", program_id=self.program.id)
        self.assertEqual(
            refs(program),
            sorted((self.payments | other.payment_ids).mapped("reference")),
        )
        november, _ = self._export(
            scope="period", date_from="2026-11-15", date_to="2026-11-20"
        )
        self.assertEqual(refs(november), sorted(self.payments.mapped("reference")))

    def test_other_company_payments_are_not_exported(self):
        other_company = self.env["res.company"].create({"name": "Other Agency"})
        program = self.env["spp.program"].create(
            {
                "name": "Other Grant",
                "code": "OG",
                "target_type": "household",
                "company_id": other_company.id,
            }
        )
        program.flush_recordset()
        self.env.cr.execute(  # approved (maker-checker is tested elsewhere)
            "UPDATE spp_program SET approval_state = 'approved' WHERE id = %s",
            [program.id],
        )
        program.invalidate_recordset()
        cycle = self.env["spp.payment.cycle"].create(
            {
                "name": "other-2026-11",
                "program_id": program.id,
                "date_start": "2026-11-01",
                "date_end": "2026-11-30",
                "fixed_amount": 10.0,
            }
        )
        household = self._create_household("HH-OTHER")
        member = self.env["spp.program.membership"].create(
            {"program_id": program.id, "partner_id": household.id}
        )
        with guarded_write("payroll_payments"):
            foreign = self.env["spp.payment"].create(
                {
                    "program_id": program.id,
                    "membership_id": member.id,
                    "partner_id": household.id,
                    "amount": 10.0,
                    "cycle_id": cycle.id,
                }
            )
        self.assertEqual(foreign.company_id, other_company)
        period = {"scope": "period", "date_from": "2026-11-01", "date_to": "2026-11-30"}
        export, _ = self._export(**period)
        _header, *rows = self._sheets(export.attachment_id)["Payments"]
        self.assertEqual(
            sorted(row[0] for row in rows), sorted(self.payments.mapped("reference"))
        )
        # The other company's program cannot even be chosen.
        with self.assertRaises(AccessError):
            self._export(scope="program", program_id=program.id)
        # A user of both companies, working in both, gets both.
        both = new_test_user(
            self.env,
            login="spp_both_companies",
            groups="spp_payment_base.group_spp_finance_officer",
            company_ids=[Command.set([self.env.company.id, other_company.id])],
        )
        export = (
            self.env["spp.payment.audit.export"]
            .with_user(both)
            .with_context(allowed_company_ids=[self.env.company.id, other_company.id])
            .create(period)
        )
        export.action_export()
        _header, *rows = self._sheets(export.attachment_id)["Payments"]
        self.assertIn(foreign.reference, [row[0] for row in rows])

    def test_deleting_an_export_deletes_its_file(self):
        # The file holds personal data: it goes with its export (the ORM
        # deletes the attachments of a deleted record).
        export, _action = self._export("finance_manager")
        attachment = export.attachment_id
        self.assertTrue(attachment.exists())
        with self.assertRaises(AccessError):  # officers do not delete
            export.with_user(self.users["finance_officer"]).unlink()
        export.with_user(self.users["finance_manager"]).unlink()
        self.assertFalse(attachment.exists())

    def test_rows_beyond_a_sheet_continue_on_the_next(self):
        # Excel holds 1,048,576 rows a sheet; here 4 (a header and 3 rows).
        with patch.object(audit_export, "SHEET_ROWS", 4):
            export, _action = self._export()
        sheets = self._sheets(export.attachment_id)
        self.assertEqual(
            list(sheets),
            [
                "Summary",
                "Payments",
                "Payments (2)",
                "Attempts",
                "Attempts (2)",
                "Attempts (3)",
            ],
        )
        header = sheets["Payments"][0]
        refs = []
        for name in ("Payments", "Payments (2)"):
            self.assertEqual(sheets[name][0], header)
            refs += [row[0] for row in sheets[name][1:]]
        self.assertEqual(refs, self.payments.sorted("id").mapped("reference"))
        attempts = sum(len(sheets[n]) - 1 for n in sheets if n.startswith("Attempts"))
        self.assertEqual(attempts, 7)
