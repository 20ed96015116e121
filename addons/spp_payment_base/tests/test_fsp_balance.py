# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime, timedelta
from decimal import Decimal

from odoo import fields

from .common import SppBaseCommon


class TestFspBalance(SppBaseCommon):
    def test_no_report_is_unknown_never_a_figure(self):
        self.assertEqual(self.fsp.balance_state, "unknown")
        self.assertIsNone(self.fsp._spp_get_balance())
        self.assertFalse(self.fsp._spp_request_balance())

    def test_pending_until_reported(self):
        self.fsp._spp_mark_balance_pending()
        self.assertEqual(self.fsp.balance_state, "pending")
        self.assertIsNone(self.fsp._spp_get_balance())
        reported = fields.Datetime.now() - timedelta(hours=2)
        self.fsp._spp_record_balance(Decimal("1234.565"), reported, "test API")
        self.assertEqual(self.fsp.balance_state, "known")
        self.assertEqual(self.fsp._spp_get_balance(), 1234.57)
        self.assertEqual(self.fsp.balance_source, "test API")
        # Older than its max age, the figure is no longer used.
        self.fsp.balance_max_age_hours = 1
        self.assertIsNone(self.fsp._spp_get_balance())
        status = self.fsp._spp_balance_status()
        self.assertEqual(status["state"], "unknown")
        self.assertIn("older than 1 hours", status["reason"])

    def test_older_report_does_not_replace_a_newer_one(self):
        self.fsp._spp_record_balance(500, datetime(2026, 12, 2, 8), "statement 2")
        recorded = self.fsp._spp_record_balance(
            900, datetime(2026, 12, 1, 8), "statement 1"
        )
        self.assertFalse(recorded)
        self.assertEqual(self.fsp.balance_amount, 500)
        self.assertEqual(self.fsp.balance_source, "statement 2")
