# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.addons.spp_payment_base.tests.common import SppBaseCommon


class TestPaymentHistory(SppBaseCommon):
    """A household (paid 100, failed 40, approved 30) and its member, paid 25
    by a program for individuals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.person = cls.env["res.partner"].create(
            {
                "name": "Amina Member",
                "is_registrant": True,
                "registrant_type": "individual",
                "registrant_number": "IND-0001",
            }
        )
        cls.env["spp.group.membership"].create(
            {"group_id": cls.household.id, "individual_id": cls.person.id}
        )
        cls.stranger = cls.env["res.partner"].create(
            {
                "name": "Not a member",
                "is_registrant": True,
                "registrant_type": "individual",
                "registrant_number": "IND-0002",
            }
        )
        individuals = cls.env["spp.program"].create(
            {"name": "Old Age", "code": "OA", "target_type": "individual"}
        )
        cls.paid = cls._settle(cls._create_payment(100.0), "paid", receipt="R-100")
        cls.failed = cls._settle(cls._create_payment(40.0), "failed")
        cls.pending = cls._create_payment(30.0)
        cls.pending._set_approved()
        cls.own = cls._settle(
            cls._payment_to(individuals, cls.person, 25.0), "paid", receipt="R-25"
        )
        cls._settle(cls._payment_to(individuals, cls.stranger, 99.0), "paid")

    @classmethod
    def _payment_to(cls, program, partner, amount):
        member = cls.env["spp.program.membership"].create(
            {"program_id": program.id, "partner_id": partner.id, "fsp_id": cls.fsp.id}
        )
        return cls.env["spp.payment"].create(
            {
                "program_id": program.id,
                "membership_id": member.id,
                "partner_id": partner.id,
                "fsp_id": cls.fsp.id,
                "amount": amount,
            }
        )

    @classmethod
    def _settle(cls, payment, state, receipt=None):
        payment._set_approved()
        payment._spp_send()
        if receipt:
            payment.external_ref = receipt
        getattr(payment, f"_set_{state}")()
        return payment

    def _viewer(self, partner):
        return partner.with_user(self.users["viewer"])

    def test_individual_history_includes_their_households(self):
        person = self._viewer(self.person)
        self.assertEqual(
            person.spp_history_payment_ids,
            self.paid | self.failed | self.pending | self.own,
        )
        self.assertEqual(person.spp_history_count, 4)
        self.assertEqual(person.spp_history_paid, 125.0)
        self.assertEqual(person.spp_history_unpaid, 40.0)
        self.assertEqual(person.spp_history_pending, 30.0)
        self.assertEqual(
            person.spp_history_last_date, max(self.paid.paid_date, self.own.paid_date)
        )

    def test_household_history_includes_its_members(self):
        household = self._viewer(self.household)
        self.assertEqual(household.spp_history_count, 4)
        self.assertEqual(household.spp_history_paid, 125.0)
        self.assertNotIn(
            "Not a member", household.spp_history_payment_ids.partner_id.mapped("name")
        )
        stranger = self._viewer(self.stranger)
        self.assertEqual(
            (stranger.spp_history_count, stranger.spp_history_paid), (1, 99.0)
        )

    def test_summary_is_one_read_group_for_many_partners(self):
        partners = self.person | self.household | self.stranger
        # Once their households and members are read (and the rules cached),
        # the summary of all three is one query.
        partners._compute_spp_history_summary()
        with self.assertQueryCount(1):
            partners._compute_spp_history_summary()
        self.assertEqual(partners.mapped("spp_history_count"), [4, 4, 1])
        self.assertEqual(partners.mapped("spp_history_paid"), [125.0, 125.0, 99.0])

    def test_history_report_renders(self):
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "spp_payment_audit.report_spp_payment_history", self.person.ids
        )
        text = html.decode()
        self.assertIn("Payment history", text)
        self.assertIn("Amina Member", text)
        for payment in self.paid | self.failed | self.pending | self.own:
            self.assertIn(payment.reference, text)
        self.assertIn("R-100", text)
        self.assertIn("R-25", text)
        self.assertEqual(text.count("o_spp_history_line"), 4)

    def test_smart_button_opens_the_same_history(self):
        action = self._viewer(self.person).action_spp_view_history_payments()
        self.assertEqual(
            self.env["spp.payment"].search(action["domain"]),
            self.paid | self.failed | self.pending | self.own,
        )
        # The form shows the history's figures, to a viewer too.
        form = self.env.ref("spp_payment_base.view_spp_registrant_form")
        arch = (
            self.env["res.partner"]
            .with_user(self.users["viewer"])
            .get_views([(form.id, "form")])["views"]["form"]["arch"]
        )
        self.assertIn('name="spp_history_count"', arch)
        self.assertIn('name="spp_history_payment_ids"', arch)
        self.assertIn("action_spp_print_payment_history", arch)
