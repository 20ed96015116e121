# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The server side of a voucher at the till: the hold authorised for a payment
line, captured in the order's own sync transaction, released, applied once
however often the order syncs, and offline payments recorded, never refused."""

import json
from unittest.mock import patch
from uuid import uuid4

from spp_payment_core import voucher_token as vt

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .common import VoucherFixture


@tagged("post_install", "-at_install")
class TestPosVoucher(TestPoSCommon, VoucherFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._spp_voucher_setup(cls.basic_config)
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

    def _sync(self, data):
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

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
