# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import SppPpmCommon


@tagged("post_install", "-at_install")
class TestCashEvidence(SppPpmCommon):
    """The beneficiary's payment history (their payments) shows what the PPM's
    device signed for a cash payment, once a checker accepted the sync."""

    def test_accepted_cash_payment_shows_photo_time_and_position(self):
        paid, unpaid = self.payments[:2]
        answer = self._sync([self._event(paid), self._event(unpaid, "0.00")])
        batch = self._batch(answer)
        # Submitted, not yet accepted: not evidence of a payment yet.
        self.assertFalse(paid.cash_line_id)
        batch.with_user(self.users["finance_manager"]).action_approve()
        paid.invalidate_recordset()
        viewer = paid.with_user(self.users["viewer"])
        self.assertEqual(viewer.cash_batch_id, batch)
        self.assertEqual(viewer.cash_photo, paid.cash_line_id.photo_id.datas)
        self.assertTrue(viewer.cash_photo)
        self.assertEqual(
            (viewer.cash_latitude, viewer.cash_longitude, viewer.cash_gps_accuracy),
            (-1.2801, 36.8001, 12.0),
        )
        self.assertEqual(str(viewer.cash_paid_at), "2026-11-20 09:12:03")
        self.assertIn("mlat=-1.2801000&mlon=36.8001000", viewer.cash_map_url)
        # A line that did not pay (amount 0: not paid) is no cash evidence.
        self.assertFalse(unpaid.cash_line_id)
        # The beneficiary's payment history opens the payment that carries it.
        action = paid.partner_id.with_user(
            self.users["viewer"]
        ).action_view_spp_payments()
        self.assertIn(paid, self.env["spp.payment"].search(action["domain"]))
