# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError

from .common import SppVoucherCommon


class TestIdRedemption(SppVoucherCommon):
    def test_lookup_returns_only_that_beneficiarys_vouchers(self):
        self.household.sudo().national_id = "NID-778"
        model = self.env["spp.voucher"].with_user(self.cashier)
        for number in ("HH-0001", " NID-778 "):
            found = model.spp_lookup_by_id(number, self.merchant.id)
            self.assertEqual(
                found,
                [
                    {
                        "id": self.voucher.id,
                        "name": self.voucher.name,
                        "beneficiary": self.household.name,
                        "available": "50.70",
                        "currency": self.voucher.currency_id.name,
                        "valid_until": self.voucher.valid_until.isoformat(),
                    }
                ],
            )
        with self.assertRaisesRegex(UserError, "No single registrant"):
            model.spp_lookup_by_id("HH-9999", self.merchant.id)

    def test_redeem_by_id_through_the_ledger(self):
        model = self.env["spp.voucher"].with_user(self.cashier)
        result = model.spp_redeem_by_id(
            "HH-0001", self.voucher.id, 20, self.merchant.id, "id-1"
        )
        self.assertEqual(result["available"], "30.70")
        redemption = self.voucher.redemption_ids
        self.assertEqual(redemption.channel, "id")
        self.assertEqual(redemption.cashier_id, self.cashier)
        with self.assertRaisesRegex(UserError, "available"):
            model.spp_redeem_by_id(
                "HH-0001", self.voucher.id, 31, self.merchant.id, "id-2"
            )
        # Another beneficiary's voucher is not reached through this ID.
        with self.assertRaisesRegex(UserError, "not one of this beneficiary's"):
            model.spp_redeem_by_id(
                "HH-0001", self.vouchers[1].id, 1, self.merchant.id, "id-3"
            )

    def test_screen(self):
        wizard = (
            self.env["spp.voucher.id.redeem"]
            .with_user(self.cashier)
            .create({"id_number": "HH-0001"})
        )
        self.assertEqual(wizard.merchant_id, self.merchant)
        wizard.action_lookup()
        self.assertEqual(wizard.beneficiary, self.household.name)
        line = wizard.line_ids
        self.assertEqual(line.name, self.voucher.name)
        line.amount = 12.5
        line.action_redeem()
        self.assertEqual(self.voucher.balance, 38.2)
        self.assertIn("38.20 left", wizard.message)

    def test_cashier_reads_no_registry_and_no_voucher(self):
        cashier_env = self.env(user=self.cashier)
        self.assertFalse(
            cashier_env["res.partner"].search([("is_registrant", "=", True)])
        )
        with self.assertRaises(AccessError):
            self.household.with_user(self.cashier).read(["name"])
        with self.assertRaises(AccessError):
            self.voucher.with_user(self.cashier).read(["balance"])
        with self.assertRaises(AccessError):
            cashier_env["spp.voucher"].search([])
        with self.assertRaises(AccessError):
            cashier_env["spp.voucher.redemption"].search([])
        # Officers keep the whole registry beside the cashiers' rule.
        officer_env = self.env(user=self.users["program_officer"])
        self.assertIn(
            self.household,
            officer_env["res.partner"].search([("is_registrant", "=", True)]),
        )
        # Someone outside the cashiers and finance cannot use the lookup.
        with self.assertRaises(AccessError):
            self.env["spp.voucher"].with_user(self.users["viewer"]).spp_lookup_by_id(
                "HH-0001", self.merchant.id
            )
