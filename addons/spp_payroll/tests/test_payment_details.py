# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SppPayrollCommon, perform_jobs


class TestPaymentDetails(SppPayrollCommon):
    """Changes of where money goes (phone, bank account) and of what decides the
    amount (FSP, channel, entitlement, amount inputs) are logged, and a recent one
    holds the member's payment until a checker who did not make it clears it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.sudo()._spp_write_approval({"destination_quarantine_days": 30})
        cls.officer = cls.users["program_officer"]
        cls.manager = cls.users["finance_manager"]
        cls.target = cls.households[1]  # HH-0002
        cls.target_member = cls.members[1]

    def setUp(self):
        super().setUp()
        # The fixtures' own phone numbers are not under test.
        self.env["spp.destination.change"].search([]).unlink()

    def _changes(self, **domain):
        return self.env["spp.destination.change"].search(
            [(k, "=", v) for k, v in domain.items()], order="id"
        )

    def _change_phone(self, user, phone="+254711111111"):
        self.target.with_user(user).sudo().write({"phone_e164": phone})

    def _execute(self, payroll):
        with trap_jobs() as trap:
            run = payroll.with_user(self.users["finance_officer"]).action_execute()
            perform_jobs(trap)
        return run

    # Logged ------------------------------------------------------------------

    def test_phone_change_is_logged_with_before_and_after(self):
        self._change_phone(self.officer)
        change = self._changes(partner_id=self.target.id)
        self.assertEqual(len(change), 1)
        self.assertEqual(
            (change.field_name, change.old_value, change.new_value, change.user_id),
            ("phone_e164", "+254700000002", "+254711111111", self.officer),
        )
        self.assertFalse(change.membership_id)
        self.assertTrue(change.change_date)
        # Writing the same value again is no change.
        self._change_phone(self.officer)
        self.assertEqual(len(self._changes(partner_id=self.target.id)), 1)

    def test_bank_account_added_changed_and_removed_are_logged(self):
        bank = self.env["res.partner.bank"].create(
            {"partner_id": self.target.id, "acc_number": "KE-001"}
        )
        bank.acc_number = "KE-999"
        bank.active = False
        bank.unlink()
        rows = [
            (c.field_name, c.old_value, c.new_value)
            for c in self._changes(partner_id=self.target.id)
        ]
        self.assertEqual(
            rows,
            [
                ("acc_number", False, "KE-001"),
                ("acc_number", "KE-001", "KE-999"),
                ("active", "True", "False"),
                ("acc_number", "KE-999", False),
            ],
        )
        # The accounts a registrant is created with are not changes.
        self._create_household("HH-NEW", bank_ids=[(0, 0, {"acc_number": "KE-NEW"})])
        self.assertFalse(self._changes(field_name="acc_number", new_value="KE-NEW"))

    def test_money_fields_of_a_membership_are_logged(self):
        other_fsp = self.env["spp.fsp"].create(
            {"name": "Other Bank", "provider": "manual", "state": "enabled"}
        )
        self.target_member.with_user(self.officer).write(
            {
                "fsp_id": other_fsp.id,
                "channel": "payment_point",
                "entitled_total": 500.0,
                "days_worked": 12,
            }
        )
        changes = self._changes(membership_id=self.target_member.id)
        self.assertEqual(
            {(c.field_name, c.old_value, c.new_value) for c in changes},
            {
                ("fsp_id", "Manual Bank", "Other Bank"),
                ("channel", "digital", "payment_point"),
                ("entitled_total", "0.0", "500.0"),
                ("days_worked", "0", "12"),
            },
        )
        self.assertEqual(changes.user_id, self.officer)

    def test_an_import_is_logged(self):
        # load() is what the import wizard and RPC imports call.
        result = self.env["res.partner"].load(
            [".id", "phone_e164"], [[str(self.target.id), "+254722222222"]]
        )
        self.assertFalse(result["messages"])
        change = self._changes(partner_id=self.target.id)
        self.assertEqual(change.new_value, "+254722222222")

    def test_nobody_writes_the_log(self):
        self._change_phone(self.officer)
        change = self._changes(partner_id=self.target.id).with_user(self.manager)
        with self.assertRaises(AccessError):
            change.write({"new_value": "+254700000002"})
        with self.assertRaises(AccessError):
            change.unlink()

    # Quarantined -------------------------------------------------------------

    def test_recent_change_holds_the_payment_until_a_checker_clears_it(self):
        self._change_phone(self.officer)
        payroll = self._new_payroll()
        payroll.action_generate()
        held = self._payment_of(payroll, self.target)
        self.assertTrue(held.is_quarantined)
        self.assertIn("Mobile", held.quarantine_reason)
        self.assertEqual(payroll.quarantined_count, 1)
        others = payroll.payment_ids - held
        self.assertFalse(any(others.mapped("is_quarantined")))
        self._approve(payroll)

        run = self._execute(payroll)
        self.assertEqual(held.state, "approved")
        self.assertEqual(set(others.mapped("state")), {"sent"})
        self.assertEqual(run.held_count, 1)
        self.assertIn(held.reference, run.note)

        held.with_user(self.manager).action_clear_quarantine()
        self.assertFalse(held.is_quarantined)
        self.assertEqual(held.quarantine_cleared_uid, self.manager)
        self.assertEqual(
            self._changes(partner_id=self.target.id).cleared_uid, self.manager
        )
        self.assertIn(self.manager.name, held.event_ids[:1].reason)
        self._execute(payroll)
        self.assertEqual(held.state, "sent")

    def test_the_author_of_the_change_cannot_clear_it(self):
        self._change_phone(self.manager)
        payroll = self._approved_payroll()
        held = self._payment_of(payroll, self.target)
        with self.assertRaisesRegex(AccessError, "another Finance Manager"):
            held.with_user(self.manager).action_clear_quarantine()
        with self.assertRaises(AccessError):
            held.with_user(self.users["finance_officer"]).action_clear_quarantine()
        self.assertTrue(held.is_quarantined)
        held.with_user(self.manager2).action_clear_quarantine()
        self.assertFalse(held.is_quarantined)

    def test_the_hold_cannot_be_written_away(self):
        self._change_phone(self.officer)
        payroll = self._new_payroll()
        payroll.action_generate()
        held = self._payment_of(payroll, self.target)
        with self.assertRaisesRegex(UserError, "is_quarantined"):
            held.with_user(self.officer).write({"is_quarantined": False})
        self.assertTrue(held.is_quarantined)

    def test_a_money_field_change_quarantines_too(self):
        self.target_member.with_user(self.officer).write({"entitled_total": 900.0})
        payroll = self._new_payroll()
        payroll.action_generate()
        self.assertEqual(
            payroll.payment_ids.filtered("is_quarantined").partner_id, self.target
        )

    def test_an_old_change_does_not_quarantine(self):
        self._change_phone(self.officer)
        self.env.cr.execute(
            SQL(
                "UPDATE spp_destination_change SET change_date = "
                "change_date - interval '31 days'"
            )
        )
        payroll = self._new_payroll()
        payroll.action_generate()
        self.assertFalse(any(payroll.payment_ids.mapped("is_quarantined")))

    def test_dry_run_shows_the_held_members(self):
        self._change_phone(self.officer)
        preview = self._new_payroll().action_preview()
        self.assertEqual(preview["quarantined"], 1)
        self.assertEqual(preview["variance"]["quarantined"], 1)
        self.assertEqual(
            preview["variance"]["samples"]["quarantined"],
            [self.target.registrant_number],
        )

    # Undelivered payrolls ------------------------------------------------------

    def _paid_except(self, payroll, failed):
        for payment in payroll.payment_ids:
            payment._spp_send()
            if payment.partner_id in failed:
                payment._set_failed(reason="invalid account")
            else:
                payment._set_paid()

    def test_undelivered_payroll_goes_to_the_current_destination(self):
        payroll = self._approved_payroll()
        exited = self.households[2]
        self._paid_except(payroll, failed=self.target | exited)
        self._change_phone(self.officer, "+254733333333")
        self.members[2].write({"state": "exited"})
        undelivered = payroll.action_create_undelivered_payroll()
        reissued = undelivered.payment_ids
        self.assertEqual(reissued.partner_id, self.target)
        self.assertEqual(reissued.destination, "+254733333333")
        # The new destination is a recent change: held for a checker.
        self.assertTrue(reissued.is_quarantined)
        # The member who left is reported, and the payment stays failed.
        left = self._payment_of(payroll, exited)
        self.assertEqual(left.state, "failed")
        self.assertIn(left.reference, undelivered.message_ids[:1].body)
        self.assertIn("not enrolled", undelivered.message_ids[:1].body)

    def test_undelivered_payroll_with_nobody_enrolled_is_refused(self):
        payroll = self._approved_payroll()
        self._paid_except(payroll, failed=self.target)
        self.target_member.write({"state": "suspended"})
        with self.assertRaisesRegex(UserError, "not enrolled"):
            payroll.action_create_undelivered_payroll()
        self.assertEqual(self._payment_of(payroll, self.target).state, "failed")
