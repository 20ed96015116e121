# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import datetime

from spp_payment_core import voucher_token as vt

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .common import SppVoucherCommon


class TestStateChanges(SppVoucherCommon):
    def _request(self, action, vouchers=None, **vals):
        return (
            self.env["spp.voucher.change.request"]
            .with_user(self.users["program_officer"])
            .create(
                {
                    "action": action,
                    "voucher_ids": [Command.set((vouchers or self.voucher).ids)],
                    "reason": "Reported lost",
                    **vals,
                }
            )
        )

    def _approved(self, action, vouchers=None, **vals):
        request = self._request(action, vouchers, **vals)
        request.action_submit()
        request.with_user(self.users["finance_manager"]).action_approve()
        return request

    def test_suspend_under_maker_checker_then_reactivate(self):
        request = self._request("suspend")
        self.assertEqual(self.voucher.state, "active")  # nothing before approval
        request.action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation"):
            request.action_approve()
        request.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(self.voucher.state, "suspended")
        with self.assertRaisesRegex(UserError, "is Suspended"):
            self._redeem(1)
        with self.assertRaisesRegex(UserError, "does not apply"):
            self._request("suspend").action_submit()
        self._approved("reactivate")
        self.assertEqual(self.voucher.state, "active")
        self._redeem(1)

    def test_reactivation_restores_partial(self):
        self._redeem(10)
        self._approved("suspend")
        self._approved("reactivate")
        self.assertEqual(self.voucher.state, "partial")

    def test_cancel_releases_the_balance_to_the_cycle(self):
        self._redeem(10.70)
        model = self.env["spp.voucher"].with_user(self.cashier)
        hold = model._spp_hold(self.voucher._spp_token(), 5, "h-1", self.merchant)
        self._approved("cancel")
        self.assertEqual(self.voucher.state, "cancelled")
        self.assertEqual(hold.state, "released")
        self.assertEqual(self.voucher.release_ids.mapped("amount"), [40.0])
        self.assertEqual(self.voucher.release_ids.kind, "cancelled")
        self.assertEqual(self.cycle.voucher_released_amount, 40.0)

    def test_expiry_cron_releases_balances(self):
        self._redeem(0.70)
        model = self.env["spp.voucher"].with_user(self.cashier)
        hold = model._spp_hold(self.voucher._spp_token(), 5, "h-1", self.merchant)
        spent = self.vouchers[1]
        self._redeem(spent.amount, voucher=spent)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE spp_voucher SET valid_until = %s WHERE id = ANY(%s)",
                fields.Date.today() - datetime.timedelta(days=1),
                [self.voucher.id, spent.id],
            )
        )
        self.env.invalidate_all()
        self.env["spp.voucher"]._cron_spp_expire()
        self.assertEqual(self.voucher.state, "expired")
        self.assertEqual(self.voucher.held_amount, 0)
        self.assertEqual(hold.state, "released")
        self.assertEqual(spent.state, "redeemed")  # nothing left to expire
        self.assertEqual(self.voucher.release_ids.amount, 50.0)
        self.assertEqual(self.voucher.release_ids.kind, "expired")
        self.assertEqual(self.cycle.voucher_released_amount, 50.0)
        self.assertEqual(self.vouchers[2].state, "active")
        with self.assertRaisesRegex(UserError, "is Expired"):
            self._redeem(1)

    def test_reissue_of_an_expired_voucher(self):
        self._redeem(20.70)
        self.voucher.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE spp_voucher SET valid_until = %s WHERE id = %s",
                fields.Date.today() - datetime.timedelta(days=1),
                self.voucher.id,
            )
        )
        self.env.invalidate_all()
        self.env["spp.voucher"]._cron_spp_expire()
        with self.assertRaisesRegex(UserError, "does not apply"):
            self._request("reissue", self.vouchers[1]).action_submit()
        request = self._approved("reissue", validity_days=30)
        new = request.new_voucher_ids
        self.assertEqual(len(new), 1)
        self.assertEqual(new.origin_voucher_id, self.voucher)
        self.assertEqual(new.amount, 30.0)
        self.assertEqual(new.balance, 30.0)
        self.assertEqual(new.payment_id, self.voucher.payment_id)
        self.assertEqual(new.state, "active")
        self.assertEqual(new.valid_until - new.valid_from, datetime.timedelta(days=30))
        self.assertEqual(new.name, f"V{new.id:09d}")
        secret = self.program.sudo().voucher_code_secret
        self.assertEqual(new.code_hash, vt.code_hash(vt.derive_code(secret, new.id)))
        self.assertNotEqual(new.code_hash, self.voucher.code_hash)
        self.assertEqual(self.cycle.voucher_released_amount, 0.0)
        self._redeem(30, voucher=new)
        self.assertEqual(new.state, "redeemed")
        with self.assertRaisesRegex(UserError, "re-issued already"):
            self._request("reissue").action_submit()
