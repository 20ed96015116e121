# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The server side of a voucher at the till: the hold authorised for a payment
line, captured in the order's own sync transaction, released, applied once
however often the order syncs, and offline payments recorded, never refused."""

import json
from datetime import timedelta
from unittest.mock import patch
from uuid import uuid4

from spp_payment_core import voucher_token as vt

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import VoucherFixture


@tagged("post_install", "-at_install")
class TestPosVoucher(TestPoSCommon, VoucherFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        pos_groups = (
            "base.group_user,point_of_sale.group_pos_user,stock.group_stock_user"
        )
        cls.cashier = new_test_user(
            cls.env, login="spp_till_cashier", groups=pos_groups
        )
        # A POS user of the company, not one of the merchant's cashiers.
        cls.stranger = new_test_user(cls.env, login="spp_till_other", groups=pos_groups)
        cls.finance_manager = new_test_user(
            cls.env,
            login="spp_pos_fm",
            groups="spp_payment_base.group_spp_finance_manager",
        )
        # The tests' own user (Odoo's POS commons) sells at the till too.
        cls._spp_voucher_setup(cls.basic_config, cashiers=cls.cashier | cls.env.user)
        cls.rice = cls.create_product("Rice", cls.categ_basic, 30.0)

    def setUp(self):
        super().setUp()
        self.config = self.basic_config
        self.open_new_session()

    # -- helpers -------------------------------------------------------------

    def _authorize(self, code, amount, uuid=None, **kwargs):
        return self.voucher_pm.spp_voucher_authorize(
            self.pos_session.id, code, amount, uuid or str(uuid4()), **kwargs
        )

    def _order(self, qty, voucher_amount, payment_uuid, token=False, offline=False):
        """A paid order of ``qty`` rice: the voucher pays ``voucher_amount``
        (its line ``payment_uuid``), cash the rest."""
        total = 30.0 * qty
        payments = [(self.voucher_pm, voucher_amount)]
        if total > voucher_amount:
            payments.append((self.cash_pm1, total - voucher_amount))
        data = self.create_ui_order_data([(self.rice, qty)], payments=payments)
        vals = data["payment_ids"][0][2]
        vals.update(
            uuid=payment_uuid,
            spp_voucher_token=token,
            spp_voucher_offline=offline,
            payment_status="done",
        )
        return data

    def _sync(self, data, user=None):
        orders = self.env["pos.order"]
        if user:
            orders = orders.with_user(user)
        result = orders.sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][-1]["id"])

    def _refund(self, order, qty, voucher_amount, payment_uuid, reason="", cash=0):
        """A refund of ``qty`` rice of ``order`` (Odoo's refund flow: lines
        pointing at the refunded ones), ``voucher_amount`` (negative) given
        back on the voucher method, ``cash`` (negative) in cash."""
        line = order.lines[:1]
        payments = [(self.voucher_pm, voucher_amount)]
        if cash:
            payments.append((self.cash_pm1, cash))
        data = self.create_ui_order_data(
            [
                {
                    "product": self.rice,
                    "quantity": -qty,
                    "refunded_orderline_id": line.id,
                }
            ],
            payments=payments,
        )
        data["payment_ids"][0][2].update(
            uuid=payment_uuid, spp_voucher_reason=reason, payment_status="done"
        )
        data["is_refund"] = True
        return data

    def _payment(self, order, uuid):
        return order.payment_ids.filtered(lambda p: p.uuid == uuid)

    def _redemption(self, uuid):
        return (
            self.env["spp.voucher.redemption"].sudo().search([("txn_uuid", "=", uuid)])
        )

    # -- configuration -------------------------------------------------------

    def test_linking_a_till_creates_the_voucher_method_and_clearing_journal(self):
        method = self.voucher_pm
        self.assertEqual(method.payment_method_type, "terminal")
        self.assertEqual(method.use_payment_terminal, "spp_voucher")
        self.assertEqual(method.journal_id.name, "Voucher clearing")
        self.assertEqual(method.journal_id.type, "bank")
        self.assertIn(method, self.basic_config.payment_method_ids)

    def test_only_an_administrator_links_a_till_to_a_merchant(self):
        manager = self.env["res.users"].create(
            {
                "name": "POS Manager",
                "login": "spp_pos_manager",
                "group_ids": [(4, self.env.ref("point_of_sale.group_pos_manager").id)],
            }
        )
        with self.assertRaises(AccessError):
            self.basic_config.with_user(manager).write({"spp_merchant_id": False})
        with self.assertRaises(AccessError):
            self.basic_config.with_user(manager).write(
                {"spp_voucher_offline_limit": 10**6}
            )

    def test_public_keys_load_with_the_config_revoked_ones_not(self):
        read = self.env["pos.config"]._load_pos_data_read(
            self.basic_config, self.basic_config
        )
        self.assertEqual(
            read[0]["_spp_voucher_keys"],
            [{"kid": self.voucher_key.kid, "public_key": self.voucher_key.public_key}],
        )
        self.voucher_key.state = "revoked"
        read = self.env["pos.config"]._load_pos_data_read(
            self.basic_config, self.basic_config
        )
        self.assertEqual(read[0]["_spp_voucher_keys"], [])

    # -- authorise -----------------------------------------------------------

    def test_authorize_holds_and_answers_the_balance_left(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        answer = self._authorize(token, 40, uuid)
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["balance"], 60)
        self.assertEqual(answer["voucher_name"], voucher.name)
        hold = self._redemption(uuid)
        self.assertEqual(hold.state, "authorized")
        self.assertEqual(hold.merchant_id, self.merchant)
        self.assertEqual(hold.cashier_id, self.env.user)
        self.assertEqual(voucher.balance, 100, "a hold moves no balance")
        # The same line asking again gets its first hold, not a second one.
        self.assertEqual(self._authorize(token, 40, uuid)["redemption_id"], hold.id)
        self.assertEqual(len(voucher.redemption_ids), 1)

    def test_typed_code_authorizes_too(self):
        voucher, _token = self._spp_voucher(100, code="QWERT67890")
        answer = self._authorize("QWERT-67890", 10)
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["voucher_id"], voucher.id)

    def test_over_balance_refused_and_nothing_held(self):
        voucher, token = self._spp_voucher(50)
        answer = self._authorize(token, 50.01)
        self.assertFalse(answer["ok"])
        self.assertTrue(answer["error"])
        self.assertFalse(voucher.redemption_ids)

    def test_second_hold_sees_the_first(self):
        voucher, token = self._spp_voucher(50)
        self.assertTrue(self._authorize(token, 30)["ok"])
        answer = self._authorize(token, 30)
        self.assertFalse(answer["ok"], "two tills cannot hold more than the balance")
        self.assertEqual(len(voucher.redemption_ids), 1)

    def test_till_of_unapproved_merchant_refused(self):
        _voucher, token = self._spp_voucher(50)
        self.env.cr.execute(
            "UPDATE spp_merchant SET state = 'suspended' WHERE id = %s",
            [self.merchant.id],
        )
        self.merchant.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "not approved"):
            self._authorize(token, 10)

    def test_device_limit_per_payment(self):
        _voucher, token = self._spp_voucher(100)
        self.basic_config.sudo().spp_voucher_limit_per_transaction = 25
        answer = self._authorize(token, 26)
        self.assertFalse(answer["ok"])
        self.assertIn("limited", answer["error"])
        self.assertTrue(self._authorize(token, 25)["ok"])

    def test_cashier_limit_per_day(self):
        _voucher, token = self._spp_voucher(100)
        self.basic_config.sudo().spp_voucher_cashier_limit_per_day = 50
        self.assertTrue(self._authorize(token, 30)["ok"])
        answer = self._authorize(token, 30)
        self.assertFalse(answer["ok"])
        self.assertIn("today", answer["error"])

    def test_not_a_voucher_method_refused(self):
        with self.assertRaisesRegex(UserError, "not a voucher"):
            self.cash_pm1.spp_voucher_authorize(self.pos_session.id, "x", 1, "u")

    # -- capture with the order ------------------------------------------------

    def test_capture_in_the_orders_own_sync(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 40, uuid)["ok"])
        order = self._sync(self._order(2, 40, uuid))
        hold = self._redemption(uuid)
        self.assertEqual(hold.state, "captured")
        self.assertEqual(voucher.balance, 60)
        self.assertEqual(voucher.state, "partial")
        payment = order.payment_ids.filtered(lambda p: p.uuid == uuid)
        self.assertEqual(payment.spp_redemption_id, hold)
        self.assertEqual(payment.spp_voucher_balance, 60)
        self.assertEqual(payment.spp_voucher_name, voucher.name)
        self.assertFalse(payment.spp_voucher_token, "the token is never stored")
        self.assertEqual(order.state, "paid")

    def test_order_failing_to_save_captures_nothing(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 40, uuid)["ok"])
        data = self._order(2, 40, uuid)
        Order = type(self.env["pos.order"])
        with (
            patch.object(
                Order, "_create_order_picking", side_effect=UserError("no stock")
            ),
            self.assertRaisesRegex(UserError, "no stock"),
            self.env.cr.savepoint(),
        ):
            self._sync(data)
        self.assertFalse(self.env["pos.order"].search([("uuid", "=", data["uuid"])]))
        self.assertEqual(self._redemption(uuid).state, "authorized")
        self.assertEqual(voucher.balance, 100)

    def test_capture_failing_saves_no_order(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 40, uuid)["ok"])
        data = self._order(2, 45, uuid)  # more than was held
        with self.assertRaisesRegex(UserError, "differs"), self.env.cr.savepoint():
            self._sync(data)
        self.assertFalse(self.env["pos.order"].search([("uuid", "=", data["uuid"])]))
        self.assertEqual(voucher.balance, 100)

    def test_unauthorised_voucher_line_refused(self):
        _voucher, _token = self._spp_voucher(100)
        data = self._order(1, 30, str(uuid4()))
        with (
            self.assertRaisesRegex(UserError, "not authorised"),
            self.env.cr.savepoint(),
        ):
            self._sync(data)
        self.assertFalse(self.env["pos.order"].search([("uuid", "=", data["uuid"])]))

    def test_repeated_sync_captures_once(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 60, uuid)["ok"])
        data = self._order(2, 60, uuid)
        first = self._sync(
            dict(data, payment_ids=[list(c) for c in data["payment_ids"]])
        )
        again = self._sync(self._order(2, 60, uuid) | {"uuid": data["uuid"]})
        self.assertEqual(first, again)
        self.assertEqual(voucher.balance, 40)
        self.assertEqual(len(voucher.redemption_ids), 1)

    def test_draft_order_captures_nothing_until_paid(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 30, uuid)["ok"])
        data = self._order(1, 30, uuid) | {"state": "draft"}
        self._sync(data)
        self.assertEqual(self._redemption(uuid).state, "authorized")
        # The paid order again, its payment already on the server.
        self._sync(
            self._order(1, 30, uuid)
            | {"uuid": data["uuid"], "payment_ids": [], "access_token": "t"}
        )
        self.assertEqual(self._redemption(uuid).state, "captured")
        self.assertEqual(voucher.balance, 70)

    # -- release ---------------------------------------------------------------

    def test_release_frees_the_hold(self):
        voucher, token = self._spp_voucher(50)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 50, uuid)["ok"])
        self.assertFalse(self._authorize(token, 10)["ok"])
        answer = self.voucher_pm.spp_voucher_release(self.pos_session.id, uuid)
        self.assertTrue(answer["released"])
        self.assertEqual(self._redemption(uuid).state, "released")
        self.assertTrue(self._authorize(token, 50)["ok"], "released: available again")
        # The released line cannot hold again under its UUID.
        self.assertFalse(self._authorize(token, 10, uuid)["ok"])

    def test_cancelled_order_releases_its_holds(self):
        _voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 30, uuid)["ok"])
        order = self._sync(self._order(1, 30, uuid) | {"state": "draft"})
        order.action_pos_order_cancel()
        self.assertEqual(self._redemption(uuid).state, "released")

    def test_reversed_line_of_zero_is_not_captured(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 30, uuid)["ok"])
        self.voucher_pm.spp_voucher_release(self.pos_session.id, uuid)
        data = self._order(1, 0, uuid)
        self._sync(data)
        self.assertEqual(voucher.balance, 100)

    # -- offline ---------------------------------------------------------------

    def test_offline_payment_recorded_on_sync(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        order = self._sync(self._order(2, 50, uuid, token=token, offline=True))
        redemption = self._redemption(uuid)
        self.assertEqual(redemption.state, "captured")
        self.assertTrue(redemption.offline)
        self.assertEqual(voucher.balance, 50)
        payment = order.payment_ids.filtered(lambda p: p.uuid == uuid)
        self.assertTrue(payment.spp_voucher_offline)
        self.assertFalse(payment.spp_voucher_token)
        # Synced again (a lost answer): applied once.
        self._sync(
            self._order(2, 50, uuid, token=token, offline=True) | {"uuid": order.uuid}
        )
        self.assertEqual(voucher.balance, 50)

    def test_offline_double_spend_flagged_not_refused(self):
        voucher, token = self._spp_voucher(60)
        # Spent online at another till while this one was offline.
        online = str(uuid4())
        self.assertTrue(self._authorize(token, 60, online)["ok"])
        self._sync(self._order(2, 60, online))
        self.assertEqual(voucher.balance, 0)
        offline = str(uuid4())
        order = self._sync(self._order(2, 45, offline, token=token, offline=True))
        self.assertEqual(order.state, "paid", "the sale syncs, it is not refused")
        conflict = voucher.redemption_ids.filtered(lambda r: r.state == "conflict")
        self.assertEqual(sum(conflict.mapped("amount")), 45)
        self.assertEqual(voucher.balance, 0)

    def test_offline_forged_token_keeps_the_sale_and_flags_it(self):
        voucher, _token = self._spp_voucher(100)
        payload, signature = _token.split(".")
        claims = json.loads(vt.b64decode(payload))
        forged = vt.b64encode(vt.canonical(claims | {"a": "1000.00"}))
        forged = f"{forged}.{signature}"
        uuid = str(uuid4())
        order = self._sync(self._order(1, 30, uuid, token=forged, offline=True))
        payment = order.payment_ids.filtered(lambda p: p.uuid == uuid)
        self.assertTrue(payment.spp_voucher_sync_error)
        self.assertEqual(voucher.balance, 100)
        self.assertIn("refused on sync", order.message_ids[:1].body)

    def test_expired_hold_with_token_is_recorded_not_refused(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 30, uuid)["ok"])
        self._redemption(uuid)._spp_release()  # the stale-hold cron
        data = self._order(1, 30, uuid, token=token)
        self._sync(data)
        self.assertEqual(voucher.balance, 70)
        self._sync(self._order(1, 30, uuid, token=token) | {"uuid": data["uuid"]})
        self.assertEqual(voucher.balance, 70, "applied once")

    # -- ID-based lookup --------------------------------------------------------

    def test_beneficiary_id_lists_and_redeems_vouchers(self):
        voucher, _token = self._spp_voucher(80)
        answer = self.voucher_pm.spp_voucher_partner_vouchers(
            self.pos_session.id, "VP-0001"
        )
        self.assertTrue(answer["ok"])
        self.assertEqual([v["id"] for v in answer["vouchers"]], [voucher.id])
        self.assertEqual(answer["vouchers"][0]["balance"], 80)
        hold = self._authorize(False, 20, voucher_id=voucher.id, id_number="VP-0001")
        self.assertTrue(hold["ok"], hold)
        other = self._authorize(False, 20, voucher_id=voucher.id, id_number="NOBODY")
        self.assertFalse(other["ok"])

    # -- who operates the till --------------------------------------------------

    def test_cashier_of_the_merchant_holds_and_syncs(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        answer = self.voucher_pm.with_user(self.cashier).spp_voucher_authorize(
            self.pos_session.id, token, 40, uuid
        )
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(self._redemption(uuid).cashier_id, self.cashier)
        order = self._sync(self._order(2, 40, uuid), user=self.cashier)
        self.assertEqual(self._redemption(uuid).state, "captured")
        self.assertFalse(self._payment(order, uuid).spp_voucher_sync_error)
        self.assertEqual(voucher.balance, 60)

    def test_user_not_the_merchants_cashier_refused_on_every_call(self):
        voucher, token = self._spp_voucher(100)
        uuid = str(uuid4())
        self.assertTrue(self._authorize(token, 30, uuid)["ok"])
        method = self.voucher_pm.with_user(self.stranger)
        session = self.pos_session.id
        message = "is not a cashier of Corner Shop"
        with self.assertRaisesRegex(AccessError, message):
            method.spp_voucher_authorize(session, token, 10, str(uuid4()))
        with self.assertRaisesRegex(AccessError, message):
            method.spp_voucher_release(session, uuid)
        with self.assertRaisesRegex(AccessError, message):
            method.spp_voucher_partner_vouchers(session, "VP-0001")
        self.assertEqual(len(voucher.redemption_ids), 1, "no hold written")
        self.assertEqual(self._redemption(uuid).state, "authorized", "not released")
        self.assertEqual(voucher.held_amount, 30)

    def test_order_synced_by_a_non_cashier_writes_no_redemption(self):
        voucher, token = self._spp_voucher(100)
        held = str(uuid4())
        self.assertTrue(self._authorize(token, 30, held)["ok"])
        offline = str(uuid4())
        online_order = self._sync(self._order(1, 30, held), user=self.stranger)
        offline_order = self._sync(
            self._order(1, 30, offline, token=token, offline=True), user=self.stranger
        )
        # The sales are kept (a raise would make the till retry forever); the
        # ledger is untouched and each voucher line says why.
        for order, uuid in ((online_order, held), (offline_order, offline)):
            self.assertEqual(order.state, "paid")
            payment = self._payment(order, uuid)
            self.assertIn("is not a cashier", payment.spp_voucher_sync_error)
            self.assertFalse(payment.spp_redemption_id)
            self.assertIn("not recorded on sync", order.message_ids[:1].body)
        self.assertEqual(self._redemption(held).state, "authorized")
        self.assertFalse(self._redemption(offline))
        self.assertEqual(voucher.balance, 100)

    # -- limits of offline lines at sync ------------------------------------------

    def _offline_order(self, voucher_amount, token, sold_at=None, qty=None):
        uuid = str(uuid4())
        data = self._order(
            qty or int(voucher_amount // 30) + 1,
            voucher_amount,
            uuid,
            token=token,
            offline=True,
        )
        if sold_at:
            data["payment_ids"][0][2]["payment_date"] = fields.Datetime.to_string(
                sold_at
            )
        return self._sync(data), uuid

    def _assert_flagged(self, order, uuid, text):
        redemption = self._redemption(uuid)
        self.assertEqual(redemption.state, "captured", "accepted: the goods are gone")
        self.assertIn(text, redemption.limit_alert)
        self.assertIn(text, self._payment(order, uuid).spp_voucher_sync_error)
        self.assertEqual(order.state, "paid")
        activity = redemption.activity_ids
        self.assertEqual(activity.user_id, self.finance_manager)
        self.assertIn("limit exceeded", activity.summary)

    def test_offline_line_over_the_payment_limit_recorded_and_flagged(self):
        voucher, token = self._spp_voucher(100)
        self.basic_config.sudo().spp_voucher_limit_per_transaction = 25
        order, uuid = self._offline_order(30, token)
        self._assert_flagged(order, uuid, "limited to")
        self.assertEqual(voucher.balance, 70)
        # Synced again: applied and flagged once.
        self._sync(
            self._order(2, 30, uuid, token=token, offline=True) | {"uuid": order.uuid}
        )
        self.assertEqual(voucher.balance, 70)
        self.assertEqual(len(self._redemption(uuid).activity_ids), 1)

    def test_offline_line_over_the_cashiers_day_limit_flagged(self):
        voucher, token = self._spp_voucher(100)
        self.basic_config.sudo().spp_voucher_cashier_limit_per_day = 50
        online = str(uuid4())
        self.assertTrue(self._authorize(token, 30, online)["ok"])
        self._sync(self._order(1, 30, online))
        within, within_uuid = self._offline_order(20, token)
        self.assertFalse(self._redemption(within_uuid).limit_alert)
        self.assertFalse(self._payment(within, within_uuid).spp_voucher_sync_error)
        order, uuid = self._offline_order(10, token)
        self._assert_flagged(order, uuid, "today would exceed")
        self.assertEqual(voucher.balance, 40)

    def test_device_offline_limit_adds_up_an_outage(self):
        voucher, token = self._spp_voucher(200)
        self.basic_config.sudo().spp_voucher_offline_limit = 50
        start = fields.Datetime.now()
        first, first_uuid = self._offline_order(30, token, start + timedelta(minutes=1))
        self.assertFalse(self._redemption(first_uuid).limit_alert)
        # Sold in the same outage, synced in another call: 60 offline.
        order, uuid = self._offline_order(30, token, start + timedelta(minutes=2))
        self._assert_flagged(order, uuid, "offline limit of")
        # The till synced at minute 3: a new outage counts from zero.
        self.env.cr.execute(
            "UPDATE pos_order SET create_date = %s WHERE id = %s",
            [start + timedelta(minutes=3), order.id],
        )
        later, later_uuid = self._offline_order(30, token, start + timedelta(minutes=4))
        self.assertFalse(self._redemption(later_uuid).limit_alert)
        self.assertEqual(voucher.balance, 110)

    def test_offline_line_at_a_till_without_offline_vouchers_flagged(self):
        _voucher, token = self._spp_voucher(100)
        self.basic_config.sudo().spp_voucher_offline = False
        order, uuid = self._offline_order(30, token)
        self._assert_flagged(order, uuid, "does not accept vouchers offline")

    # -- refunds: reversal through the ledger ---------------------------------------

    def test_refund_reverses_the_voucher_payment_once(self):
        voucher, token = self._spp_voucher(100)
        sale = str(uuid4())
        self.assertTrue(self._authorize(token, 40, sale)["ok"])
        order = self._sync(self._order(2, 40, sale))
        redemption = self._redemption(sale)
        self.assertEqual(voucher.balance, 60)
        refund_uuid = str(uuid4())
        refund = self._sync(
            self._refund(order, 1, -30, refund_uuid, reason="torn bag"),
            user=self.cashier,
        )
        self.assertEqual(refund.refunded_order_id, order)
        self.assertEqual(voucher.balance, 90)
        self.assertEqual(redemption.state, "captured")
        self.assertEqual(redemption.reversed_amount, 30)
        reversal = redemption.reversal_ids
        self.assertEqual(reversal.key, refund_uuid)
        self.assertEqual(reversal.reason, "torn bag")
        self.assertEqual(reversal.user_id, self.cashier)
        payment = self._payment(refund, refund_uuid)
        self.assertEqual(payment.spp_voucher_reason, "torn bag")
        self.assertEqual(payment.spp_voucher_balance, 90)
        self.assertEqual(payment.spp_redemption_id, redemption)
        self.assertFalse(payment.spp_voucher_sync_error)
        # Applied again (a sync repeated): reversed once.
        refund._spp_voucher_capture({})
        self.assertEqual(voucher.balance, 90)
        self.assertEqual(len(redemption.reversal_ids), 1)
        # The rest of the sale: 10 back on the voucher, 20 in cash; the
        # order's internal note is the reason when the cashier gave none.
        rest = self._refund(order, 1, -10, str(uuid4()), cash=-20)
        rest["internal_note"] = "customer changed mind"
        self._sync(rest)
        self.assertEqual(redemption.state, "reversed")
        self.assertEqual(voucher.balance, 100)
        self.assertEqual(redemption.reversal_reason, "customer changed mind")

    def test_refund_beyond_the_voucher_payment_flagged_not_raised(self):
        voucher, token = self._spp_voucher(100)
        sale = str(uuid4())
        self.assertTrue(self._authorize(token, 20, sale)["ok"])
        order = self._sync(self._order(1, 20, sale))
        refund_uuid = str(uuid4())
        refund = self._sync(self._refund(order, 1, -30, refund_uuid, reason="x"))
        self.assertEqual(refund.state, "paid")
        self.assertIn(
            "not paid by voucher",
            self._payment(refund, refund_uuid).spp_voucher_sync_error,
        )
        self.assertEqual(voucher.balance, 80, "nothing given back")
        self.assertFalse(self._redemption(sale).reversal_ids)

    def test_refund_by_a_non_cashier_reverses_nothing(self):
        voucher, token = self._spp_voucher(100)
        sale = str(uuid4())
        self.assertTrue(self._authorize(token, 30, sale)["ok"])
        order = self._sync(self._order(1, 30, sale))
        refund_uuid = str(uuid4())
        refund = self._sync(
            self._refund(order, 1, -30, refund_uuid, reason="x"), user=self.stranger
        )
        self.assertIn(
            "is not a cashier",
            self._payment(refund, refund_uuid).spp_voucher_sync_error,
        )
        self.assertEqual(voucher.balance, 70)
