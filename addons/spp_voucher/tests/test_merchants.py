# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command
from odoo.exceptions import AccessError, UserError

from odoo.addons.spp_approval.tools import guarded_write

from .common import SppVoucherCommon


class TestMerchants(SppVoucherCommon):
    def test_limit_per_transaction_and_day(self):
        merchant = self._approved_merchant(
            "Small shop", limit_per_transaction=20, limit_per_day=30
        )
        with self.assertRaisesRegex(UserError, "limit of 20.0 per transaction"):
            self._redeem(20.01, merchant=merchant)
        self._redeem(20, merchant=merchant)
        with self.assertRaisesRegex(UserError, "daily limit"):
            self._redeem(10.01, voucher=self.vouchers[2], merchant=merchant)
        self._redeem(10, voucher=self.vouchers[2], merchant=merchant)
        self.assertEqual(self.voucher.balance, 30.70)

    def test_categories_and_allowed_merchants(self):
        # Where a program's vouchers are spent is part of what its approval
        # covers: set as it stood when the program was approved.
        with guarded_write("approval"):
            self.program.voucher_category_ids = self.grocery
        pharmacy = self.env["spp.merchant.category"].create(
            {"name": "Pharmacy", "code": "pharmacy"}
        )
        chemist = self._approved_merchant("Chemist", category_ids=pharmacy.ids)
        with self.assertRaisesRegex(UserError, "is for Grocery"):
            self._redeem(1, merchant=chemist)
        self._redeem(1)
        with guarded_write("approval"):
            self.program.voucher_merchant_ids = chemist
        with self.assertRaisesRegex(UserError, "not accepted at Duka"):
            self._redeem(1)

    def test_merchant_must_be_approved_and_active(self):
        draft = (
            self.env["spp.merchant"]
            .with_user(self.users["program_officer"])
            .create(
                {
                    "partner_id": self.env["res.partner"].create({"name": "New"}).id,
                    "user_ids": [Command.link(self.cashier.id)],
                }
            )
        )
        with self.assertRaisesRegex(UserError, "not approved and active"):
            self._redeem(1, merchant=draft)
        officer = self.users["program_officer"]
        self.merchant.with_user(officer).action_suspend()
        with self.assertRaisesRegex(UserError, "not approved and active"):
            self._redeem(1)
        with self.assertRaises(AccessError):
            self.merchant.with_user(officer).action_reactivate()
        self.merchant.with_user(self.users["finance_manager"]).action_reactivate()
        self._redeem(1)
        self.assertEqual(self.voucher.balance, 49.70)

    def test_whoever_suspends_does_not_reactivate(self):
        manager = self.users["finance_manager"]
        self.merchant.with_user(manager).action_suspend()
        with self.assertRaisesRegex(AccessError, "Segregation"):
            self.merchant.with_user(manager).action_reactivate()
        self.merchant.with_user(self.manager2).action_reactivate()
        self.assertEqual(self.merchant.state, "active")

    def test_only_the_merchants_cashiers_redeem(self):
        other = self._approved_merchant("Other")
        other.sudo().user_ids = [Command.clear()]
        with self.assertRaisesRegex(AccessError, "do not redeem vouchers for Other"):
            self._redeem(1, merchant=other)

    def test_approved_limits_are_frozen(self):
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            self.merchant.with_user(self.users["program_officer"]).write(
                {"limit_per_day": 1e9}
            )
