# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import datetime

from psycopg2.errors import CheckViolation

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, mute_logger

from .common import SppVoucherCommon


class TestLedger(SppVoucherCommon):
    def test_partial_then_exact_redemption(self):
        first = self._redeem(20.70)
        self.assertEqual(first.state, "captured")
        self.assertEqual(first.amount, 20.70)
        self.assertEqual(first.cashier_id, self.cashier)
        self.assertEqual(self.voucher.balance, 30.0)
        self.assertEqual(self.voucher.state, "partial")
        self._redeem(30)
        self.assertEqual(self.voucher.balance, 0)
        self.assertEqual(self.voucher.state, "redeemed")
        with self.assertRaisesRegex(UserError, "Redeemed"):
            self._redeem(1)

    def test_over_balance_refused_and_nothing_changed(self):
        with self.assertRaisesRegex(UserError, "50.70 .* available; 50.71 is refused"):
            self._redeem(50.71)
        with self.assertRaisesRegex(UserError, "positive amount"):
            self._redeem(0)
        with self.assertRaisesRegex(UserError, "at most 2 decimals"):
            self._redeem(1.005)
        self.assertEqual(self.voucher.balance, 50.70)
        self.assertEqual(self.voucher.state, "active")
        self.assertFalse(self.voucher.redemption_ids)

    def test_repeated_uuid_returns_the_first_row(self):
        first = self._redeem(10, txn_uuid="till-1-0001")
        again = self._redeem(10, txn_uuid="till-1-0001")
        self.assertEqual(again, first)
        self.assertEqual(self.voucher.balance, 40.70)
        self.assertEqual(len(self.voucher.redemption_ids), 1)

    def test_balance_guarded_by_the_database_and_the_orm(self):
        self.env.flush_all()
        with self.assertRaises(CheckViolation), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    SQL(
                        "UPDATE spp_voucher SET balance = -1 WHERE id = %s",
                        self.voucher.id,
                    )
                )
        with self.assertRaises(CheckViolation), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    SQL(
                        "UPDATE spp_voucher SET held_amount = balance + 1 "
                        "WHERE id = %s",
                        self.voucher.id,
                    )
                )
        redemption = self._redeem(5)
        with self.assertRaisesRegex(UserError, "evidence"):
            redemption.write({"amount": 1})
        with self.assertRaisesRegex(UserError, "ledger only"):
            self.env["spp.voucher.redemption"].create(
                {
                    "voucher_id": self.voucher.id,
                    "amount": 1,
                    "txn_uuid": "x",
                    "state": "captured",
                }
            )

    def test_reversal(self):
        redemption = self._redeem(50.70)
        self.assertEqual(self.voucher.state, "redeemed")
        with self.assertRaisesRegex(UserError, "reason"):
            redemption.with_user(self.cashier)._spp_reverse(" ")
        with self.assertRaises(AccessError):
            redemption.with_user(self.users["finance_officer"])._spp_reverse("wrong")
        redemption.with_user(self.cashier)._spp_reverse("Wrong amount keyed")
        self.assertEqual(redemption.state, "reversed")
        self.assertEqual(redemption.reversal_reason, "Wrong amount keyed")
        self.assertEqual(redemption.reversed_by_id, self.cashier)
        self.assertEqual(self.voucher.balance, 50.70)
        self.assertEqual(self.voucher.state, "active")
        with self.assertRaisesRegex(UserError, "not Redeemed"):
            redemption.with_user(self.users["finance_manager"])._spp_reverse("twice")

    def test_partial_reversals_add_up_once_per_key(self):
        redemption = self._redeem(50.70)
        cashier = redemption.with_user(self.cashier)
        first = cashier._spp_reverse("one item returned", 20.20, "refund-1")
        self.assertEqual(first.amount, 20.20)
        self.assertEqual(first.reason, "one item returned")
        self.assertEqual(first.user_id, self.cashier)
        self.assertEqual(redemption.state, "captured", "partly reversed")
        self.assertEqual(redemption.reversed_amount, 20.20)
        self.assertEqual(self.voucher.balance, 20.20)
        self.assertEqual(self.voucher.state, "partial")
        # The same key again (a till syncing its refund twice): nothing moves.
        self.assertEqual(cashier._spp_reverse("again", 20.20, "refund-1"), first)
        self.assertEqual(self.voucher.balance, 20.20)
        with self.assertRaisesRegex(UserError, "30.50 left to reverse; 30.51"):
            cashier._spp_reverse("too much", 30.51, "refund-2")
        with self.assertRaisesRegex(UserError, "at most 2 decimals"):
            cashier._spp_reverse("odd", 0.001, "refund-2")
        self.assertEqual(self.voucher.balance, 20.20)
        rest = cashier._spp_reverse("the rest", key="refund-2")
        self.assertEqual(rest.amount, 30.50)
        self.assertEqual(redemption.state, "reversed")
        self.assertEqual(redemption.reversed_amount, 50.70)
        self.assertEqual(redemption.reversal_reason, "the rest")
        self.assertEqual(self.voucher.balance, 50.70)
        self.assertEqual(self.voucher.state, "active")
        self.assertEqual(redemption.reversal_ids, first | rest)
        other = self._redeem(5)
        with self.assertRaisesRegex(UserError, "another redemption"):
            other.with_user(self.cashier)._spp_reverse("reused key", 1, "refund-1")
        with self.assertRaisesRegex(UserError, "ledger only"):
            self.env["spp.voucher.reversal"].create(
                {"redemption_id": other.id, "amount": 1, "key": "x", "reason": "x"}
            )
        with self.assertRaisesRegex(UserError, "evidence"):
            first.write({"amount": 1})

    def test_reversal_by_cashier_only_on_the_day(self):
        redemption = self._redeem(10)
        self.env.cr.execute(
            SQL(
                "UPDATE spp_voucher_redemption "
                "SET date = date - interval '2 days' WHERE id = %s",
                redemption.id,
            )
        )
        redemption.invalidate_recordset()
        with self.assertRaises(AccessError):
            redemption.with_user(self.cashier)._spp_reverse("late")
        redemption.with_user(self.users["finance_manager"])._spp_reverse("late")
        self.assertEqual(self.voucher.balance, 50.70)

    def test_hold_capture_release(self):
        model = self.env["spp.voucher"].with_user(self.cashier)
        token = self.voucher._spp_token()
        hold = model._spp_hold(token, 30, "pos-line-1", self.merchant)
        self.assertEqual(hold.state, "authorized")
        self.assertEqual(self.voucher.balance, 50.70)
        self.assertEqual(self.voucher.held_amount, 30)
        self.assertEqual(self.voucher.available_amount, 20.70)
        with self.assertRaisesRegex(UserError, "20.70 .* available"):
            model._spp_hold(token, 21, "pos-line-2", self.merchant)
        self.assertEqual(model._spp_hold(token, 30, "pos-line-1", self.merchant), hold)
        second = model._spp_hold(token, 20, "pos-line-2", self.merchant)
        hold._spp_capture()
        self.assertEqual(hold.state, "captured")
        self.assertEqual(self.voucher.balance, 20.70)
        self.assertEqual(self.voucher.held_amount, 20)
        hold._spp_capture()  # repeated: nothing moves
        self.assertEqual(self.voucher.balance, 20.70)
        second._spp_release()
        self.assertEqual(second.state, "released")
        self.assertEqual(self.voucher.held_amount, 0)
        with self.assertRaisesRegex(UserError, "not Held"):
            second._spp_capture()
        self.assertEqual(self.voucher.balance, 20.70)

    def test_stale_holds_released_by_the_cron(self):
        model = self.env["spp.voucher"].with_user(self.cashier)
        stale = model._spp_hold(self.voucher._spp_token(), 10, "old", self.merchant)
        fresh = model._spp_hold(self.voucher._spp_token(), 10, "new", self.merchant)
        stale.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE spp_voucher_redemption SET date = %s WHERE id = %s",
                fields.Datetime.now() - datetime.timedelta(minutes=31),
                stale.id,
            )
        )
        stale.invalidate_recordset()
        released = self.env["spp.voucher.redemption"]._cron_spp_release_stale_holds()
        self.assertEqual(released, stale)
        self.assertEqual(stale.state, "released")
        self.assertEqual(fresh.state, "authorized")
        self.assertEqual(self.voucher.held_amount, 10)

    def test_offline_first_write_wins_and_conflict_flagged(self):
        token = self.voucher._spp_token()
        self._redeem(40)  # spent online meanwhile: 10.70 left
        model = self.env["spp.voucher"].with_user(self.cashier)
        synced = model._spp_record_offline(token, 25, "offline-1", self.merchant)
        captured = synced.filtered(lambda r: r.state == "captured")
        conflict = synced.filtered(lambda r: r.state == "conflict")
        self.assertEqual(captured.amount, 10.70)
        self.assertTrue(captured.offline)
        self.assertEqual(conflict.amount, 14.30)
        self.assertEqual(self.voucher.balance, 0)
        receivable = self.env["spp.payment.overpayment"].search(
            [("evidence_model", "=", conflict._name), ("evidence_id", "=", conflict.id)]
        )
        self.assertEqual(receivable.amount, 14.30)
        self.assertEqual(receivable.source, "voucher")
        self.assertEqual(receivable.kind, "voucher_double")
        self.assertEqual(receivable.partner_id, self.household)
        managers = self.env.ref(
            "spp_payment_base.group_spp_finance_manager"
        ).all_user_ids.filtered(lambda u: self.env.company in u.company_ids)
        self.assertEqual(conflict.activity_ids.user_id, managers)
        # The sync repeated records nothing more.
        self.assertEqual(
            model._spp_record_offline(token, 25, "offline-1", self.merchant), synced
        )
        self.assertEqual(len(self.voucher.redemption_ids), 3)
        # Entirely spent: the whole amount is the conflict, nothing raised.
        only = model._spp_record_offline(token, 5, "offline-2", self.merchant)
        self.assertEqual(only.state, "conflict")
        self.assertEqual(only.txn_uuid, "offline-2")
        with self.assertRaisesRegex(UserError, "signed QR"):
            model._spp_record_offline(self.voucher._spp_code(), 5, "o-3", self.merchant)
