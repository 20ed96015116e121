# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tools import mute_logger

from .common import SppBaseCommon


class TestRegistry(SppBaseCommon):
    def test_phone_normalised_to_e164(self):
        kenya = self.env.ref("base.ke")
        person = self.env["res.partner"].create(
            {
                "name": "Amina",
                "is_registrant": True,
                "registrant_type": "individual",
                "country_id": kenya.id,
                "phone_e164": "0712 345 678",
            }
        )
        self.assertEqual(person.phone_e164, "+254712345678")
        person.write({"phone_e164": "00254 733 000 111"})
        self.assertEqual(person.phone_e164, "+254733000111")
        with self.assertRaisesRegex(ValidationError, "Invalid mobile number"):
            person.write({"phone_e164": "12ab"})
        self.assertEqual(person.phone_e164, "+254733000111")

    def test_registrant_number_unique(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self._create_household("HH-0001")

    def test_household_members_and_single_head(self):
        members = self.env["res.partner"].create(
            [
                {"name": n, "is_registrant": True, "registrant_type": "individual"}
                for n in ("Head", "Child")
            ]
        )
        self.env["spp.group.membership"].create(
            [
                {
                    "group_id": self.household.id,
                    "individual_id": members[0].id,
                    "role": "head",
                },
                {"group_id": self.household.id, "individual_id": members[1].id},
            ]
        )
        self.assertEqual(self.household.member_count, 2)
        self.assertEqual(members[0].household_membership_ids.group_id, self.household)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env["spp.group.membership"].create(
                    {
                        "group_id": self.household.id,
                        "individual_id": members[1].id,
                        "role": "head",
                    }
                )
        with self.assertRaisesRegex(ValidationError, "not a household"):
            self.env["spp.group.membership"].create(
                {"group_id": members[0].id, "individual_id": members[1].id}
            )

    def test_area_hierarchy(self):
        country = self.env["spp.area"].create({"name": "Kenya", "code": "KE"})
        county = self.env["spp.area"].create(
            {"name": "Turkana", "parent_id": country.id}
        )
        self.assertEqual(county.complete_name, "Kenya / Turkana")
        self.assertEqual(county.level, 1)
        with self.assertRaisesRegex(UserError, "Recursion"):
            country.parent_id = county

    def test_membership_matches_program_target(self):
        person = self.env["res.partner"].create(
            {"name": "Solo", "is_registrant": True, "registrant_type": "individual"}
        )
        with self.assertRaisesRegex(ValidationError, "program enrolls"):
            self.env["spp.program.membership"].create(
                {"program_id": self.program.id, "partner_id": person.id}
            )

    def test_payment_history_on_household_and_member(self):
        member = self.env["res.partner"].create(
            {"name": "Member", "is_registrant": True, "registrant_type": "individual"}
        )
        self.env["spp.group.membership"].create(
            {"group_id": self.household.id, "individual_id": member.id}
        )
        paid = self._create_payment(70.0)
        paid._set_approved()
        paid._spp_send()
        paid._set_paid()
        self._create_payment(30.0)
        self.household.invalidate_recordset()
        self.assertEqual(self.household.spp_payment_count, 2)
        self.assertEqual(self.household.spp_paid_total, 70.0)
        self.assertEqual(self.household.spp_paid_digital, 70.0)
        self.assertEqual(self.household.spp_paid_voucher, 0.0)
        self.assertTrue(self.household.spp_last_payment_date)
        action = self.household.action_view_spp_payments()
        self.assertEqual(self.env["spp.payment"].search_count(action["domain"]), 2)
        self.assertEqual(member.spp_payment_count, 0)
