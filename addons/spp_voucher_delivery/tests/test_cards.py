# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import io

from spp_payment_core import voucher_token as vt

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import save_test_file
from odoo.tools.pdf import PdfReader

from .common import SppDeliveryCommon


@tagged("post_install", "-at_install")
class TestCards(SppDeliveryCommon):
    def test_cards_pdf_through_wkhtmltopdf(self):
        self.env["ir.config_parameter"].sudo().set_param("report.url", self.base_url())
        report = (
            self.env["ir.actions.report"]
            .with_user(self.finance)
            .with_context(force_report_rendering=True)
        )
        pdf, kind = report._render_qweb_pdf(
            "spp_voucher_delivery.report_voucher_cards", self.vouchers.ids
        )
        self.assertEqual(kind, "pdf")
        save_test_file("spp_voucher_cards", pdf, "report_", extension="pdf")
        pages = PdfReader(io.BytesIO(pdf)).pages
        self.assertEqual(len(pages), 1)  # six cards fit one A4 page
        text = " ".join(" ".join(page.extract_text() for page in pages).split())
        self.assertIn(f"Vouchers: {self.payroll.name}", text)
        secrets = self.vouchers.with_user(self.finance)._spp_card_secrets()
        for voucher in self.vouchers:
            self.assertIn(voucher.name, text)
            self.assertIn(voucher.partner_id.name, text)
            self.assertIn(secrets[voucher.id][0], text)
        self.assertIn(self.vouchers[0].valid_until.isoformat(), text)
        self.assertIn(
            f"{self.vouchers[0].amount:.2f} {self.vouchers[0].currency_id.name}", text
        )

    def test_qr_carries_the_signed_token(self):
        cards = self.vouchers[:1].with_user(self.finance)._spp_card_values()
        token = cards[0]["token"]
        self.assertTrue(cards[0]["qr"].startswith("data:image/png;base64,"))
        png = base64.b64decode(cards[0]["qr"].split(",", 1)[1])
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        keys = self.env["spp.voucher.key"].search(
            [("program_id", "=", self.program.id)]
        )
        claims = vt.decode_token(token, {k.kid: k.public_key for k in keys})
        self.assertEqual(claims["i"], self.vouchers[0].id)
        self.assertEqual(claims["s"], vt.normalize_code(cards[0]["code"]))
        self.assertEqual(vt.code_hash(cards[0]["code"]), self.vouchers[0].code_hash)
        # What the card shows is what the POS accepts.
        self.assertEqual(self.env["spp.voucher"]._spp_find(token), self.vouchers[0])

    def test_only_finance_officers_print(self):
        with self.assertRaises(AccessError):
            self.vouchers.with_user(self.users["viewer"])._spp_card_secrets()

    def test_payroll_prints_its_vouchers(self):
        action = self.payroll.with_user(self.finance).action_print_voucher_cards()
        self.assertEqual(
            action["report_name"], "spp_voucher_delivery.report_voucher_cards"
        )
        self.assertEqual(
            sorted(action["context"]["active_ids"]), sorted(self.vouchers.ids)
        )
