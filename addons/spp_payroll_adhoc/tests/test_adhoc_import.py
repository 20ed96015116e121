# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import io

import xlsxwriter

from odoo.exceptions import AccessError, UserError

from odoo.addons.spp_payroll.tests.common import SppPayrollCommon

HEADER = "registrant_id,name,phone,national_id,amount,channel,destination,fsp\n"
REGISTRANT = "HH-0001,,,,50.25,digital,+254700000001,\n"
NOT_A_MEMBER = "HH-NEW,,,,20,payment_point,,\n"
NEW_PAYEE = (
    ",Amina Otieno,+254711222333,NID-1,75.50,digital,+254711222333,manual bank\n"
)
UNKNOWN = "HH-9999,,,,20,payment_point,,\n"
TOO_PRECISE = ",Peter Kamau,,,30.005,payment_point,,\n"
FIXED = ",Peter Kamau,,,30.00,payment_point,,\n"


class TestAdhocImport(SppPayrollCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outsider = cls._create_household("HH-NEW")

    def _adhoc(self):
        return self._new_payroll(kind="adhoc", name="Flood relief")

    def _upload(self, payroll, text, user="program_officer", name="relief.csv"):
        data = text if isinstance(text, bytes) else text.encode()
        wizard = (
            self.env["spp.payroll.adhoc.import"]
            .with_user(self.users[user])
            .create(
                {
                    "payroll_id": payroll.id,
                    "data": base64.b64encode(data),
                    "file_name": name,
                }
            )
        )
        wizard.action_import()
        return wizard

    def _partners_named(self, name):
        return self.env["res.partner"].search([("name", "=", name)])

    def test_two_bad_rows_refused_with_both_explained_then_fixed_file_accepted(self):
        payroll = self._adhoc()
        memberships = self.env["spp.program.membership"].search_count([])
        wizard = self._upload(
            payroll, HEADER + REGISTRANT + UNKNOWN + NEW_PAYEE + TOO_PRECISE
        )
        self.assertEqual(wizard.state, "error")
        self.assertEqual(
            [(e.row, e.column, e.reason) for e in wizard.error_ids],
            [
                (3, "registrant_id", "no registrant has the ID 'HH-9999'"),
                (
                    5,
                    "amount",
                    "30.005 has more than 2 decimals, the currency's precision",
                ),
            ],
        )
        # Nothing written: no payment, staging line, membership or payee.
        payroll.invalidate_recordset()
        self.assertFalse(payroll.payment_ids)
        self.assertFalse(payroll.adhoc_line_ids)
        self.assertFalse(payroll.generated_date)
        self.assertEqual(
            self.env["spp.program.membership"].search_count([]), memberships
        )
        self.assertFalse(self._partners_named("Amina Otieno"))

        # The officer fixes the file and uploads it again in the same dialog.
        fixed = wizard
        fixed.data = base64.b64encode(
            (HEADER + REGISTRANT + NOT_A_MEMBER + NEW_PAYEE + FIXED).encode()
        )
        fixed.action_import()
        self.assertEqual(fixed.state, "done")
        self.assertFalse(fixed.error_ids)
        self.assertEqual((fixed.payment_count, fixed.new_payee_count), (2, 2))
        payroll.invalidate_recordset()
        by_partner = {p.partner_id: p for p in payroll.payment_ids}
        self.assertEqual(set(by_partner), {self.household, self.outsider})
        first = by_partner[self.household]
        self.assertEqual(
            (first.amount, first.channel, first.fsp_id, first.destination),
            (50.25, "digital", self.fsp, "+254700000001"),
        )
        self.assertEqual(first.destination_type, "msisdn")
        self.assertEqual(first.membership_id, self.membership)
        self.assertEqual(first.state, "draft")
        outsider_member = by_partner[self.outsider].membership_id
        self.assertEqual(
            (outsider_member.state, outsider_member.channel), ("draft", "payment_point")
        )
        # New payees wait for approval, outside the registry.
        self.assertEqual(
            payroll.adhoc_line_ids.mapped("name"), ["Amina Otieno", "Peter Kamau"]
        )
        self.assertEqual(set(payroll.adhoc_line_ids.mapped("state")), {"staged"})
        self.assertFalse(self._partners_named("Amina Otieno"))
        self.assertEqual(payroll.adhoc_staged_amount, 105.5)
        self.assertEqual(payroll._spp_approval_amount(), 50.25 + 20 + 105.5)
        self.assertEqual(payroll.adhoc_file_name, "relief.csv")

        payroll.with_user(self.users["program_officer"]).action_submit()
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(payroll.approval_state, "approved")
        amina = self._partners_named("Amina Otieno")
        self.assertEqual(len(amina), 1)
        self.assertTrue(amina.is_registrant)
        self.assertEqual(
            (amina.registrant_type, amina.phone_e164, amina.national_id),
            ("household", "+254711222333", "NID-1"),
        )
        lines = payroll.adhoc_line_ids
        self.assertEqual(set(lines.mapped("state")), {"created"})
        amina_line = lines.filtered(lambda line: line.name == "Amina Otieno")
        self.assertEqual(amina_line.partner_id, amina)
        payment = amina_line.payment_id
        self.assertEqual(payment.partner_id, amina)
        self.assertEqual(payment.payroll_id, payroll)
        self.assertEqual(
            (payment.amount, payment.fsp_id, payment.destination, payment.channel),
            (75.5, self.fsp, "+254711222333", "digital"),
        )
        self.assertEqual(payment.membership_id.state, "draft")
        self.assertEqual(payment.membership_id.partner_id, amina)
        self.assertEqual(len(payroll.payment_ids), 4)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})
        self.assertEqual(payroll.total_amount, 175.75)
        self.assertEqual(
            len(set(payroll.payment_ids.mapped("reference"))), 4, "unique references"
        )

    def test_the_uploader_never_approves(self):
        payroll = self._new_payroll(kind="adhoc")
        self._upload(payroll, HEADER + REGISTRANT, user="admin")
        contributors = self.env["spp.approval.contributor"].search(
            [("res_model", "=", "spp.payroll"), ("res_id", "=", payroll.id)]
        )
        self.assertIn(self.users["admin"], contributors.user_id)
        payroll.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaises(AccessError):
            payroll.with_user(self.users["admin"]).action_approve()
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(payroll.approval_state, "approved")

    def test_a_rejected_payroll_adds_nobody_to_the_registry(self):
        payroll = self._adhoc()
        self._upload(payroll, HEADER + REGISTRANT + NEW_PAYEE)
        officer, manager = self.users["program_officer"], self.users["finance_manager"]
        payroll.with_user(officer).action_submit()
        payroll.with_user(manager).action_reject(reason="Wrong amounts")
        self.assertEqual(payroll.approval_state, "draft")
        self.assertFalse(self._partners_named("Amina Otieno"))
        self.assertEqual(payroll.adhoc_line_ids.state, "staged")
        self.assertEqual(payroll.payment_ids.state, "draft")
        payroll.with_user(officer).action_submit()
        payroll.with_user(self.manager2).action_approve()
        self.assertEqual(payroll.adhoc_line_ids.state, "created")
        self.assertEqual(len(self._partners_named("Amina Otieno")), 1)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})

    def test_upload_refused_outside_a_draft_adhoc_payroll(self):
        digital = self._new_payroll()
        with self.assertRaisesRegex(UserError, "not an ad-hoc payroll"):
            digital.action_open_adhoc_import()
        with self.assertRaisesRegex(UserError, "not an ad-hoc payroll"):
            self._upload(digital, HEADER + REGISTRANT)
        self.assertFalse(digital.payment_ids)
        adhoc = self._adhoc()
        with self.assertRaises(AccessError):
            adhoc.with_user(self.users["finance_manager"]).action_open_adhoc_import()
        with self.assertRaises(AccessError):
            self._upload(adhoc, HEADER + REGISTRANT, user="finance_manager")
        self._upload(adhoc, HEADER + REGISTRANT)
        with self.assertRaisesRegex(UserError, "already holds the payees"):
            self._upload(adhoc, HEADER + NOT_A_MEMBER)
        adhoc.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(UserError, "no longer a draft"):
            adhoc.with_user(self.users["program_officer"]).action_open_adhoc_import()
        with self.assertRaises(UserError):
            adhoc._spp_adhoc_import(None, "again.csv")

    def test_generation_flags_apply_to_uploaded_payments_and_new_payees(self):
        regular = self._approved_payroll()
        self.assertEqual(len(regular.payment_ids), 5)
        payroll = self._adhoc()
        wizard = self._upload(
            payroll,
            HEADER
            + "HH-0002,,,,10,digital,+254700000002,\n"
            + "HH-CASH,,,,10,digital,+254700000003,manual bank\n"
            + ",Zawadi,,,10,digital,+254700000004,manual bank\n",
        )
        # A registrant already paid in the cycle cannot be paid again.
        self.assertEqual(
            [(e.row, e.column) for e in wizard.error_ids], [(2, "registrant_id")]
        )
        self.assertIn("already has payment", wizard.error_ids.reason)
        wizard = self._upload(
            payroll,
            HEADER
            + "HH-CASH,,,,10,digital,+254700000003,manual bank\n"
            + ",Zawadi,,,10,digital,+254700000004,manual bank\n"
            + ",Baraka,,,10,digital,+254799999999,manual bank\n"
            + ",Neema,,,10,digital,+254799999999,manual bank\n"
            + ",Imani,,,10,digital,+254799999998,manual bank\n",
        )
        self.assertEqual(wizard.state, "done")
        payroll.invalidate_recordset()
        cash = payroll.payment_ids
        self.assertTrue(cash.is_duplicate)
        self.assertIn("destination shared", cash.duplicate_reason)
        lines = payroll.adhoc_line_ids
        self.assertEqual(
            lines.filtered("is_duplicate").mapped("name"), ["Zawadi", "Baraka", "Neema"]
        )
        line = lines[0]
        self.assertIn("destination shared", line.duplicate_reason)
        payroll.with_user(self.users["program_officer"]).action_submit()
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertTrue(line.payment_id.is_duplicate)

    def test_enforced_duplicates_create_no_flagged_payee(self):
        self._approved_payroll()
        payroll = self._adhoc()
        payroll.enforce_duplicates = True
        self._upload(
            payroll,
            HEADER
            + ",Zawadi,,,10,payment_point,,\n"
            + ",Juma,,,10,digital,+254700000004,manual bank\n",
        )
        lines = payroll.adhoc_line_ids
        self.assertEqual(
            [(line.name, line.state) for line in lines],
            [("Zawadi", "staged"), ("Juma", "excluded")],
        )
        self.assertEqual(payroll.adhoc_staged_amount, 10)
        payroll.with_user(self.users["program_officer"]).action_submit()
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(payroll.payment_ids.partner_id.mapped("name"), ["Zawadi"])
        self.assertFalse(self._partners_named("Juma"))

    def test_xlsx_file_and_staging_lines_are_read_only(self):
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out)
        sheet = book.add_worksheet()
        for row, values in enumerate(
            [
                ["Registrant ID", "Name", "Amount", "Channel"],
                ["", "Halima", 12.5, "payment point"],
            ]
        ):
            for col, value in enumerate(values):
                sheet.write(row, col, value)
        book.close()
        payroll = self._adhoc()
        wizard = self._upload(payroll, out.getvalue(), name="relief.xlsx")
        self.assertEqual(wizard.state, "done", wizard.error_ids.mapped("reason"))
        line = payroll.adhoc_line_ids
        self.assertEqual((line.name, line.amount), ("Halima", 12.5))
        # Read-only for every user, and through sudo() too.
        for lines, error in (
            (line.with_user(self.users["admin"]), AccessError),
            (line.sudo(), UserError),
        ):
            with self.assertRaises(UserError):
                lines.write({"amount": 1000})
            with self.assertRaises(error):
                lines.unlink()
        with self.assertRaisesRegex(UserError, "file upload"):
            self.env["spp.payroll.adhoc.line"].sudo().create(
                {"payroll_id": payroll.id, "name": "X", "amount": 1}
            )
        self.assertEqual(line.amount, 12.5)
        # Only new payees: the payroll is submitted and approved all the same.
        payroll.with_user(self.users["program_officer"]).action_submit()
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(payroll.payment_ids.amount, 12.5)
        self.assertEqual(payroll.payment_ids.state, "approved")
