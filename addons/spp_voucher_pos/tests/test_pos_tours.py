# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A cashier at the till, in Chromium: voucher and cash, a partial redemption
whose receipt shows the balance left, a spent voucher refused, an offline sale
verified in the browser and synced later, an offline double spend flagged, a
voucher sale refunded in the same session with a reason.
Chromium is required (setup/test installs it; a skipped tour fails the run)."""

import base64
from pathlib import Path
from unittest.mock import patch
from uuid import uuid4

from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser, save_test_file
from odoo.tools import config

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .common import VoucherFixture


@tagged("post_install", "-at_install")
class TestVoucherTours(TestPointOfSaleHttpCommon, VoucherFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._spp_voucher_setup(cls.main_pos_config, cashiers=cls.pos_user)
        cls.rice = cls.env["product.product"].create(
            {
                "name": "Rice",
                "is_storable": True,
                "available_in_pos": True,
                "list_price": 30.0,
                "taxes_id": [(6, 0, [])],
            }
        )

    def _tour(self, name):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour(name, login="pos_user")

    def _redemptions(self, voucher):
        return voucher.redemption_ids.sorted("id")

    def _spent_elsewhere(self, voucher, amount):
        voucher.sudo()._spp_redeem(
            voucher, amount, str(uuid4()), self.merchant.sudo(), channel="api"
        )

    def test_sale_paid_by_voucher_and_cash(self):
        voucher, _token = self._spp_voucher(100, code="ABCDE12345")
        # Odoo keeps a screenshot of failed tours only; this one keeps the
        # receipt of a successful sale as the run's artefact.
        wait_code_ok = ChromeBrowser._wait_code_ok

        def wait_then_capture(browser, *args, **kwargs):
            wait_code_ok(browser, *args, **kwargs)
            shot = browser._websocket_request("Page.captureScreenshot", timeout=20)
            save_test_file(
                "spp_voucher_pos_receipt", base64.b64decode(shot["data"]), "tour_"
            )

        with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture):
            self._tour("spp_voucher_pos_voucher_and_cash")
        shots = sorted(
            Path(config["screenshots"]).glob(
                "*/screenshots/tour_*_spp_voucher_pos_receipt.png"
            )
        )
        self.assertTrue(shots, "no screenshot of the tour")
        self.assertEqual(shots[-1].read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        redemption = self._redemptions(voucher)
        self.assertEqual(redemption.mapped("state"), ["captured"])
        self.assertEqual(redemption.amount, 40)
        self.assertEqual(voucher.balance, 60)
        order = self.env["pos.order"].search([("uuid", "!=", False)], limit=1)
        self.assertEqual(order.state, "paid")
        self.assertEqual(
            sorted(order.payment_ids.mapped("payment_method_id.name")),
            ["Cash", "Voucher"],
        )

    def test_partial_redemption_leaves_a_balance(self):
        voucher, token = self._spp_voucher(100, code="PQRST23456")
        self.main_pos_config.receipt_header = token
        self._tour("spp_voucher_pos_partial")
        self.assertEqual(self._redemptions(voucher).mapped("state"), ["captured"])
        self.assertEqual(voucher.balance, 70)
        self.assertEqual(voucher.state, "partial")

    def test_second_redemption_of_a_spent_voucher_refused(self):
        voucher, _token = self._spp_voucher(50, code="ABCDE12345")
        self._spent_elsewhere(voucher, 50)
        self._tour("spp_voucher_pos_second_refused")
        self.assertEqual(len(self._redemptions(voucher)), 1, "nothing held again")
        self.assertEqual(voucher.balance, 0)

    def test_offline_sale_synced_later(self):
        voucher, token = self._spp_voucher(100, code="VWXYZ34567")
        self.main_pos_config.receipt_header = token
        self._tour("spp_voucher_pos_offline")
        redemption = self._redemptions(voucher)
        self.assertEqual(redemption.mapped("state"), ["captured"])
        self.assertTrue(redemption.offline)
        self.assertEqual(voucher.balance, 55)

    def test_offline_double_spend_flagged(self):
        voucher, token = self._spp_voucher(60, code="HJKMN45678")
        self.main_pos_config.receipt_header = token
        self._spent_elsewhere(voucher, 60)
        self._tour("spp_voucher_pos_offline_conflict")
        conflict = self._redemptions(voucher).filtered(lambda r: r.state == "conflict")
        self.assertEqual(sum(conflict.mapped("amount")), 45)
        self.assertTrue(conflict.offline)
        self.assertEqual(voucher.balance, 0)

    def test_refund_in_the_session_gives_the_balance_back(self):
        voucher, token = self._spp_voucher(100, code="QRSTV56789")
        self.main_pos_config.receipt_header = token
        self._tour("spp_voucher_pos_refund")
        redemption = self._redemptions(voucher)
        self.assertEqual(redemption.mapped("state"), ["reversed"])
        self.assertEqual(voucher.balance, 100)
        reversal = redemption.reversal_ids
        self.assertEqual(reversal.amount, 30)
        self.assertEqual(reversal.reason, "Torn bag, rice spilt")
        self.assertEqual(reversal.user_id, self.pos_user)
        refund = self.env["pos.order"].search([("is_refund", "=", True)])
        payment = refund.payment_ids
        self.assertEqual(payment.spp_voucher_reason, "Torn bag, rice spilt")
        self.assertEqual(reversal.key, payment.uuid)
        self.assertEqual(payment.spp_voucher_balance, 100)
