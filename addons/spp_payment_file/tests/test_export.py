# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import csv
import hashlib
import io
from pathlib import Path

from spp_payment_core import iso20022
from spp_payment_core.tables import read_table

from odoo.exceptions import UserError
from odoo.tools.misc import file_path

from .common import SppFileCommon

XSD_DIR = Path(file_path("spp_payment_file/data/iso20022"))


class TestExport(SppFileCommon):
    def test_execution_writes_one_fingerprinted_file_per_fsp(self):
        self.households[2].name = '=HYPERLINK("http://evil")'
        payroll, jobs = self._executed_payroll()
        # Five payments and a batch size of 2, yet one job and one file.
        self.assertEqual(jobs, 1)
        payment_file = payroll.payment_file_ids
        self.assertEqual(len(payment_file), 1)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"sent"})
        content = payment_file.with_user(self.finance)._spp_verified_content()
        self.assertEqual(payment_file.sha256, hashlib.sha256(content).hexdigest())
        self.assertEqual(payment_file.run_id, payroll.run_ids[:1])
        rows = list(csv.reader(io.StringIO(content.decode()), delimiter=";"))
        self.assertEqual(rows[0], ["Ref", "Name", "MSISDN", "Amount"])
        body = {row[0]: row for row in rows[1:-1]}
        for payment in payroll.payment_ids:
            self.assertEqual(body[payment.reference][2], payment.destination)
            self.assertEqual(body[payment.reference][3], f"{payment.amount:.2f}")
        self.assertEqual(
            body[self._payment_of(payroll, self.households[2]).reference][1],
            '\'=HYPERLINK("http://evil")',
        )
        total = sum(payroll.payment_ids.mapped("amount"))
        self.assertEqual(rows[-1], [f"TOTAL;5;{total:.2f}"])
        self.assertEqual(payment_file.payment_count, 5)

    def test_changed_file_is_refused_on_download(self):
        payroll, _jobs = self._executed_payroll()
        payment_file = payroll.payment_file_ids
        self.assertEqual(
            payment_file.with_user(self.finance).action_download()["url"],
            f"/spp_payment_file/download/{payment_file.id}",
        )
        payment_file.attachment_id.sudo().raw = b"Ref;Amount\nPAY;1000000\n"
        with self.assertRaisesRegex(UserError, "changed since it was generated"):
            payment_file.with_user(self.finance).action_download()

    def test_pdf_carries_the_fingerprint(self):
        payroll, _jobs = self._executed_payroll()
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "spp_payroll.action_report_spp_payroll", payroll.ids
        )
        self.assertIn(payroll.payment_file_ids.sha256, html.decode())

    def test_xlsx_export_keeps_exact_amounts(self):
        self.fsp.file_format = "xlsx"
        payroll, _jobs = self._executed_payroll()
        content = payroll.payment_file_ids._spp_verified_content()
        table = read_table(content, "x.xlsx")
        self.assertEqual(table.header, ["Ref", "Name", "MSISDN", "Amount"])
        amounts = {cells[0]: cells[3] for _n, cells in table.rows}
        for payment in payroll.payment_ids:
            self.assertEqual(amounts[payment.reference], str(payment.amount))

    def _pain001(self, version):
        self.fsp.write(
            {
                "file_format": version,
                "iso_debtor_name": "Ministry of Social Protection",
                "iso_debtor_account": "KE12ABCD00000000001234567",
                "iso_debtor_bic": "ABCDKENAXXX",
                "iso_category_purpose": "SSBE",
            }
        )
        payroll, _jobs = self._executed_payroll()
        return payroll, payroll.payment_file_ids

    def _check_pain001(self, version):
        payroll, payment_file = self._pain001(version)
        content = payment_file._spp_verified_content()
        errors = iso20022.validate(content, XSD_DIR / f"{version}.xsd")
        self.assertEqual(errors, [])
        text = content.decode()
        self.assertIn(f"<MsgId>{payment_file.message_id}</MsgId>", text)
        self.assertIn("<Cd>SSBE</Cd>", text)
        for payment in payroll.payment_ids:
            self.assertIn(f"<EndToEndId>{payment.reference}</EndToEndId>", text)
        self.assertIn(f"<NbOfTxs>{len(payroll.payment_ids)}</NbOfTxs>", text)

    def test_pain001_001_03_validates_against_the_official_schema(self):
        self._check_pain001("pain.001.001.03")

    def test_pain001_001_09_validates_against_the_official_schema(self):
        self._check_pain001("pain.001.001.09")

    def test_iso_export_needs_debtor_details(self):
        with self.assertRaisesRegex(Exception, "debtor name and account"):
            self.fsp.file_format = "pain.001.001.03"
            self.fsp.flush_recordset()

    def test_a_file_the_bank_would_refuse_is_not_written(self):
        self.fsp.write(
            {
                "file_format": "pain.001.001.03",
                "iso_debtor_name": "Ministry",
                "iso_debtor_account": "KE12ABCD00000000001234567",
                "iso_debtor_bic": "NOT-A-BIC",
            }
        )
        payroll, _jobs = self._executed_payroll()
        # Refused and reported in the run, which does not stay locked; nothing
        # was written and the payments wait, approved, for a corrected FSP.
        run = payroll.run_ids
        self.assertEqual(run.state, "done")
        self.assertIn("no ISO 20022 file can be written", run.note)
        self.assertEqual(run.skipped_count, len(payroll.payment_ids))
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})
        self.assertFalse(
            self.env["spp.payment.file"].search([("payroll_id", "=", payroll.id)])
        )


class TestFileSettingsAudit(SppFileCommon):
    def test_column_and_status_changes_are_posted_on_the_fsp(self):
        admin = self.users["admin"]
        column = self.fsp.file_column_ids.filtered(lambda c: c.header == "MSISDN")
        column.with_user(admin).write({"header": "Account", "field": "reference"})
        status = self.fsp.recon_status_map_ids.filtered(lambda s: s.value == "FAILED")
        status.with_user(admin).write({"outcome": "paid"})
        self.fsp.with_user(admin).write(
            {"file_column_ids": [(0, 0, {"field": "amount", "header": "Extra"})]}
        )
        self.env.flush_all()
        bodies = "\n".join(self.fsp.message_ids.mapped("body"))
        self.assertIn("Header: MSISDN", bodies)
        self.assertIn("Header: Account", bodies)
        self.assertIn("Outcome: Failed", bodies)
        self.assertIn("Outcome: Paid", bodies)
        self.assertIn("Header: Extra", bodies)
        author = self.fsp.message_ids.filtered(lambda m: "Header: Account" in m.body)
        self.assertEqual(author.author_id, admin.partner_id)
