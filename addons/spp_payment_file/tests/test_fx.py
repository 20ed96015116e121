# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import csv
import io
from datetime import timedelta
from decimal import Decimal

from spp_payment_core import iso20022

from odoo import fields

from .common import SppFileCommon
from .test_export import XSD_DIR
from .test_reconciliation_import import HEADER

# 2.5 yen to the program's unit, yen paid whole: 50.70 -> 126.75 -> 127 yen,
# worth 50.80 back: a 0.10 exchange difference per payment paid in full.
RATE = 2.5


class TestFileFx(SppFileCommon):
    """The program pays in the company's currency, the file bank in yen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.yen = cls.env.ref("base.JPY")
        cls.yen.active = True
        cls.env["res.currency.rate"].search(
            [("currency_id", "in", (cls.yen | cls.currency).ids)]
        ).unlink()
        cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.yen.id,
                "rate": RATE,
                "name": fields.Date.today() - timedelta(days=1),
                "company_id": cls.env.company.root_id.id,
            }
        )
        cls.fsp.write(
            {
                "currency_id": cls.yen.id,
                "recon_tolerance": 10,  # yen
                "file_column_ids": [
                    (0, 0, {"sequence": 5, "field": "currency", "header": "Ccy"})
                ],
            }
        )

    def _yen(self, amount):
        places = Decimal(10) ** -self.yen.decimal_places
        return Decimal(str(self.yen.round(amount * RATE))).quantize(places)

    def test_file_carries_fsp_amounts_and_currency(self):
        payroll, _jobs = self._executed_payroll()
        payments = payroll.payment_ids
        for payment in payments:
            self.assertEqual(payment.fsp_currency_id, self.yen)
            self.assertEqual(
                Decimal(str(payment.fsp_amount)), self._yen(payment.amount)
            )
        content = payroll.payment_file_ids.with_user(self.finance)
        content = content._spp_verified_content()
        rows = list(csv.reader(io.StringIO(content.decode()), delimiter=";"))
        self.assertEqual(rows[0], ["Ref", "Name", "MSISDN", "Amount", "Ccy"])
        body = {row[0]: row for row in rows[1:-1]}
        for payment in payments:
            self.assertEqual(body[payment.reference][3], str(self._yen(payment.amount)))
            self.assertEqual(body[payment.reference][4], "JPY")
        total = sum(self._yen(p.amount) for p in payments)
        self.assertEqual(rows[-1], [f"TOTAL;5;{total}"])
        self.assertEqual(payroll.payment_file_ids.currency_id, self.yen)
        self.assertEqual(
            Decimal(str(payroll.payment_file_ids.total_amount)), Decimal(total)
        )

    def test_usd_program_file_shows_kes_amounts(self):
        kes = self.env.ref("base.KES")
        if kes == self.currency:
            self.skipTest("the company already pays in KES")
        kes.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", kes.id)]).unlink()
        self.env["res.currency.rate"].create(
            {
                "currency_id": kes.id,
                "rate": 129.37,
                "name": fields.Date.today() - timedelta(days=1),
                "company_id": self.env.company.root_id.id,
            }
        )
        self.fsp.currency_id = kes
        payroll, _jobs = self._executed_payroll()
        content = payroll.payment_file_ids.with_user(self.finance)
        rows = list(
            csv.reader(
                io.StringIO(content._spp_verified_content().decode()), delimiter=";"
            )
        )
        body = {row[0]: row for row in rows[1:-1]}
        for payment in payroll.payment_ids:
            # 50.70 * 129.37 = 6559.059 -> 6559.06; 60.70 -> 7852.759 -> 7852.76
            expected = f"{kes.round(payment.amount * 129.37):.2f}"
            self.assertEqual(body[payment.reference][3:], [expected, "KES"])
        self.assertEqual(
            {r[3] for r in body.values()}, {"6559.06", "7852.76"}, "50.70 and 60.70"
        )

    def test_pain001_instructs_fsp_amounts_in_fsp_currency(self):
        self.fsp.write(
            {
                "file_format": "pain.001.001.09",
                "iso_debtor_name": "Ministry of Social Protection",
                "iso_debtor_account": "KE12ABCD00000000001234567",
                "iso_debtor_bic": "ABCDKENAXXX",
            }
        )
        payroll, _jobs = self._executed_payroll()
        content = payroll.payment_file_ids._spp_verified_content()
        self.assertEqual(
            iso20022.validate(content, XSD_DIR / "pain.001.001.09.xsd"), []
        )
        text = content.decode()
        self.assertNotIn(f'Ccy="{self.currency.name}"', text)
        for payment in payroll.payment_ids:
            # Whole yen, as ISO 4217 counts them.
            self.assertIn(
                f'<InstdAmt Ccy="JPY">{self._yen(payment.amount)}</InstdAmt>', text
            )
        total = sum(self._yen(p.amount) for p in payroll.payment_ids)
        self.assertIn(f"<CtrlSum>{total}</CtrlSum>", text)

    def test_reconciliation_compares_fsp_amounts_and_records_exchange_difference(
        self,
    ):
        payroll, _jobs = self._executed_payroll()
        pay = [self._payment_of(payroll, h) for h in self.households]
        full, short, over = pay[0], pay[1], pay[2]
        self.assertEqual(full.amount, 50.70)
        self.assertEqual(full.fsp_amount, 127)  # 126.75 rounded
        self.assertEqual(short.fsp_amount, 152)  # 60.70 * 2.5 = 151.75
        reply = (
            HEADER
            + f"{full.reference},SUCCESS,127,2026-11-10,R-1,\n"
            + f"{short.reference},SUCCESS,100,2026-11-10,R-2,\n"
            + f"{over.reference},SUCCESS,{int(over.fsp_amount) + 5},2026-11-10,R-3,\n"
        )
        batch = self._import(payroll, reply)
        lines = {line.payment_id: line for line in batch.line_ids}
        # Paid in full at the FSP's amount, though 127 is above 50.70.
        self.assertEqual(lines[full].outcome, "paid")
        self.assertEqual(lines[short].outcome, "partial")
        (fx,) = batch.summary["by_fsp_currency"]
        self.assertEqual(fx["currency"], "JPY")
        self.assertEqual(fx["count"], 3)
        batch.with_user(self.manager).action_approve()
        for payment in pay:
            payment.invalidate_recordset()
        self.assertEqual(full.state, "paid")
        self.assertEqual(full.paid_amount, 50.70)  # the amount issued
        self.assertEqual(full.fsp_paid_amount, 127)
        self.assertAlmostEqual(full.exchange_difference, 0.10, 2)  # 127 / 2.5
        # 52 yen short of 152: 20.80 short of 60.70; 100 yen are worth 40.00.
        self.assertAlmostEqual(short.paid_amount, 39.90, 2)
        self.assertEqual(short.fsp_paid_amount, 100)
        self.assertAlmostEqual(short.exchange_difference, 0.10, 2)
        # 5 yen above: 2.00 recorded as excess, in the program's currency.
        self.assertTrue(over.is_overpaid)
        (receivable,) = over.overpayment_ids
        self.assertEqual(receivable.kind, "excess")
        self.assertAlmostEqual(receivable.amount, 2.00, 2)
        self.assertAlmostEqual(over.paid_amount, over.amount + 2.00, 2)
        self.assertEqual(
            Decimal(fx["exchange_difference"]),
            Decimal(str(full.exchange_difference))
            + Decimal(str(short.exchange_difference))
            + Decimal(str(over.exchange_difference)),
        )
        self.assertEqual(
            Decimal(fx["fsp_paid"]), Decimal(127 + 100 + 5) + Decimal(over.fsp_amount)
        )
