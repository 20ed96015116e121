# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io

import xlsxwriter

from odoo.exceptions import AccessError
from odoo.tools.misc import file_open

from .common import SppPointCommon

HEADER = (
    "code,name,area_code,address,latitude,longitude,radius_m,capacity,"
    "partner_id.city,partner_id.area_id,channel\n"
)
GOOD_1 = "KON-1,Kondele market,KSM,Market road,-0.0917,34.7680,300,500,Kondele,,\n"
GOOD_2 = "NRB-1,Kibera hall,NRB,,,,,,,NRB,digital\n"
BAD = "MAN-1,Manyatta school,XXX,,-0.1,34.7,0,,Manyatta,,pigeon\n"
FIXED = "MAN-1,Manyatta school,KSM,,-0.1,34.7,250,,Manyatta,,digital\n"


class TestPaymentPointImport(SppPointCommon):
    def _codes(self):
        return self.env["spp.payment.point"].search([]).mapped("code")

    def test_one_bad_row_creates_nothing_then_the_fixed_file_imports(self):
        wizard = self._import(HEADER + GOOD_1 + BAD + GOOD_2)
        self.assertEqual(wizard.state, "error")
        self.assertEqual(
            [(e.row, e.column, e.reason) for e in wizard.error_ids],
            [
                (3, "area_code", "no area has the code 'XXX'"),
                (3, "radius_m", "'0' is not a whole number of at least 1"),
                (
                    3,
                    "channel",
                    "'pigeon' is not one of digital, payment_point, voucher",
                ),
            ],
        )
        self.assertEqual(self._codes(), [], "nothing is created")

        fixed = self._import(HEADER + GOOD_1 + FIXED + GOOD_2)
        self.assertEqual(fixed.state, "done")
        points = fixed.point_ids
        self.assertEqual(sorted(points.mapped("code")), ["KON-1", "MAN-1", "NRB-1"])
        self.assertEqual(set(points.mapped("approval_state")), {"submitted"})
        kondele = points.filtered(lambda p: p.code == "KON-1")
        self.assertEqual(
            (kondele.area_id, kondele.address, kondele.radius_m, kondele.capacity),
            (self.kisumu, "Market road", 300, 500),
        )
        self.assertAlmostEqual(kondele.latitude, -0.0917)
        self.assertEqual(kondele.program_id, self.program)
        self.assertEqual(kondele.member_count, 2)
        nairobi = points.filtered(lambda p: p.code == "NRB-1")
        self.assertEqual(nairobi.member_count, 1)
        self.assertIn("Nairobi", nairobi.criteria_text)
        # Whoever imported the points never approves them.
        with self.assertRaises(AccessError):
            kondele.action_approve()
        admin_importer = self._import(
            HEADER + "ADM-1,By admin,,,,,,,Kibera,,\n", user=self.users["admin"]
        )
        with self.assertRaises(AccessError):
            admin_importer.point_ids.with_user(self.users["admin"]).action_approve()
        kondele.with_user(self.checker).action_approve()
        self.assertEqual(kondele.approval_state, "approved")
        # The same file again: every code exists now; nothing more is created.
        again = self._import(HEADER + GOOD_1 + FIXED + GOOD_2)
        self.assertEqual(
            [(e.row, e.column) for e in again.error_ids],
            [(2, "code"), (3, "code"), (4, "code")],
        )
        self.assertEqual(len(self._codes()), 4)

    def test_header_names_real_stored_fields(self):
        wizard = self._import(
            "code,name,partner_id.villages,partner_id.member_count\nA,B,x,1\n"
        )
        self.assertEqual(
            {(e.row, e.column) for e in wizard.error_ids},
            {(1, "partner_id.villages"), (1, "partner_id.member_count")},
        )
        self.assertIn(
            "no field 'villages'",
            wizard.error_ids[0].reason + wizard.error_ids[1].reason,
        )
        self.assertEqual(self._codes(), [])

    def test_duplicate_codes_in_file_and_unreadable_file(self):
        wizard = self._import(
            HEADER + GOOD_1 + GOOD_1.replace("Kondele market", "Twin")
        )
        self.assertEqual(
            [(e.row, e.column, e.reason) for e in wizard.error_ids],
            [(3, "code", "KON-1 is already the code of row 2")],
        )
        junk = self._import(b"\x00\x01binary", file_name="points.csv")
        self.assertEqual(junk.state, "error")
        self.assertIn("not a text CSV", junk.error_ids.reason)
        self.assertEqual(self._codes(), [])

    def test_xlsx_file(self):
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out)
        sheet = book.add_worksheet()
        rows = [
            [
                "code",
                "name",
                "area_code",
                "latitude",
                "longitude",
                "capacity",
                "partner_id.city",
            ],
            ["X-1", "Kondele hall", "KSM-KON", -0.09, 34.76, 120, "Kondele|Manyatta"],
            ["X-2", "Bad capacity", "", None, None, -3, "Kibera"],
        ]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        book.close()
        bad = self._import(out.getvalue(), file_name="points.xlsx")
        self.assertEqual([(e.row, e.column) for e in bad.error_ids], [(3, "capacity")])
        self.assertEqual(self._codes(), [])

        out = io.BytesIO()
        book = xlsxwriter.Workbook(out)
        sheet = book.add_worksheet()
        rows[2][5] = 40
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        book.close()
        good = self._import(out.getvalue(), file_name="points.xlsx")
        self.assertEqual(good.state, "done")
        by_code = {p.code: p for p in good.point_ids}
        self.assertEqual(by_code["X-1"].area_id, self.ward)
        self.assertEqual(by_code["X-1"].capacity, 120)
        self.assertEqual(by_code["X-1"].member_count, 3)
        self.assertEqual(by_code["X-2"].capacity, 40)

    def test_the_example_file_of_the_wizard_imports(self):
        sample = "spp_payment_point/static/samples/payment_points.csv"
        with file_open(sample, "rb") as f:
            wizard = self._import(f.read())
        self.assertEqual(wizard.state, "done", wizard.error_ids.mapped("reason"))
        kondele = wizard.point_ids.filtered(lambda p: p.code == "KON-1")
        # Kondele or Manyatta, choosing payment points: nobody in the fixture.
        self.assertEqual(kondele.member_count, 0)
        self.members[2].channel = "payment_point"
        kondele.invalidate_recordset(["member_count"])
        self.assertEqual(kondele.member_count, 1)
