# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, ValidationError

from .common import SppPointCommon


class TestPaymentPointCriteria(SppPointCommon):
    def test_member_count_follows_criteria_program_and_enrolment(self):
        village = self._point()
        self.assertEqual(village.member_count, 2)
        area = self._point(
            "P-2",
            criteria_domain=f"[('partner_id.area_id', 'child_of', [{self.kisumu.id}])]",
        )
        self.assertEqual(area.member_count, 3, "the area includes its sub-areas")
        nairobi = self._point(
            "P-3", criteria_domain="[('partner_id.city', '=', 'Kibera')]"
        )
        self.assertEqual(nairobi.member_count, 1, "suspended members are not served")
        other_program = self.env["spp.program"].create(
            {"name": "Old Age", "code": "OA", "target_type": "household"}
        )
        elsewhere = self._point("P-4", program_id=other_program.id)
        self.assertEqual(elsewhere.member_count, 0)
        self.assertEqual(
            self.env["spp.program.membership"].search_count(
                village._spp_member_domain()
            ),
            2,
        )

    def test_criteria_in_words(self):
        point = self._point(
            criteria_domain=(
                f"[('partner_id.area_id', 'child_of', [{self.kisumu.id}]), "
                "('channel', '=', 'digital'), "
                "('partner_id.city', 'in', ['Kondele', 'Manyatta'])]"
            )
        )
        lines = point.criteria_text.splitlines()
        self.assertEqual(len(lines), 3)
        self.assertIn("Kisumu", lines[0])
        self.assertTrue(lines[0].endswith("is in Kisumu"), lines[0])
        self.assertTrue(lines[1].endswith("is Digital"), lines[1])
        self.assertTrue(lines[2].endswith("is one of Kondele, Manyatta"), lines[2])
        self.assertEqual(
            self._point("P-2", criteria_domain="[]").criteria_text,
            "Every member (no criteria)",
        )

    def test_criteria_must_name_stored_fields_with_literal_values(self):
        for bad in (
            "[('partner_id.nothing', '=', 1)]",
            "[('partner_id.member_count', '=', 1)]",  # computed, not stored
            "[('partner_id.city', '=', uid)]",  # not a literal
            "[('partner_id.city', 'exec', 'x')]",
            "{'a': 1}",
        ):
            with self.subTest(domain=bad), self.assertRaises(ValidationError):
                self._point("P-BAD", criteria_domain=bad)

    def test_one_point_per_village_and_per_area(self):
        Generate = self.env["spp.payment.point.generate"].with_user(self.officer)
        wizard = Generate.create(
            {"program_id": self.program.id, "field_path": "partner_id.city"}
        )
        wizard.action_generate()
        points = wizard.point_ids
        # Kibera's only enrolled member counts; the suspended one does not add a value.
        self.assertEqual(
            sorted(points.mapped("code")), ["CG-KIBERA", "CG-KONDELE", "CG-MANYATTA"]
        )
        self.assertEqual(set(points.mapped("approval_state")), {"submitted"})
        self.assertEqual(
            {p.name: p.member_count for p in points},
            {"Kondele": 2, "Manyatta": 1, "Kibera": 1},
        )
        with self.assertRaises(AccessError):
            points[0].action_approve()
        points[0].with_user(self.checker).action_approve()
        # Running it again creates nothing: the codes exist.
        again = Generate.create(
            {"program_id": self.program.id, "field_path": "partner_id.city"}
        )
        again.action_generate()
        self.assertEqual((again.created_count, again.skipped_count), (0, 3))

        per_area = Generate.create(
            {
                "program_id": self.program.id,
                "field_path": "partner_id.area_id",
                "code_prefix": "AREA",
            }
        )
        per_area.action_generate()
        by_code = {p.code: p for p in per_area.point_ids}
        self.assertEqual(sorted(by_code), ["AREA-KSM", "AREA-KSM-KON", "AREA-NRB"])
        self.assertEqual(by_code["AREA-KSM"].area_id, self.kisumu)
        # Kisumu's point serves its ward too, as its criteria say (child_of).
        self.assertEqual(by_code["AREA-KSM"].member_count, 3)
        self.assertEqual(by_code["AREA-KSM-KON"].member_count, 1)
