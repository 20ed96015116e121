# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import datetime

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payment_base.tools import guarded_write
from odoo.addons.spp_payment_file.tests.common import SppFileCommon
from odoo.addons.spp_payroll.tests.common import perform_jobs
from odoo.addons.spp_voucher.models.spp_voucher import LEDGER_GUARD
from odoo.addons.spp_voucher.tests.common import SppVoucherCommon


@tagged("post_install", "-at_install")
class TestSettlement(SppVoucherCommon, SppFileCommon):
    """Through spp_voucher's ledger, Duka (shop A) redeemed vouchers of the
    Child Grant in the period: captured, reversed, disputed, held ones, and
    one after the period; shop B redeemed one. Shop A is paid through the file
    bank."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop_a = cls.merchant
        cls.shop_a.partner_id.write(
            {"bank_ids": [(0, 0, {"acc_number": "KE-ACC-000111"})]}
        )
        cls.shop_b = cls._approved_merchant("Shop B")
        cls.maker = cls.users["finance_officer"]
        cls.checker = cls.users["finance_manager"]
        cls.today = fields.Date.context_today(cls.env["spp.voucher"])

    def setUp(self):
        super().setUp()
        v = self.vouchers
        self.captured = (
            self._redeem(20.25, voucher=v[0])
            | self._redeem(30.10, voucher=v[1])
            | self._redeem(9.65, voucher=v[2])
        )
        self.reversed = self._redeem(5.00, voucher=v[3])
        self.reversed.with_user(self.checker)._spp_reverse("sold by mistake")
        self.disputed = self._redeem(7.00, voucher=v[3])
        self.disputed.with_user(self.checker).action_dispute("merchant says 17.00")
        self.held = (
            self.env["spp.voucher"]
            .with_user(self.cashier)
            ._spp_hold(v[4]._spp_token(), 4.00, self._uuid(), self.shop_a)
        )
        self.later = self._redeem(1.00, voucher=v[0])
        with guarded_write(LEDGER_GUARD):
            self.later.sudo().date = fields.Datetime.now() + datetime.timedelta(days=40)
        self.other_shop = self._redeem(2.00, voucher=v[1], merchant=self.shop_b)

    def _settlement(self, merchant=None, user=None, **vals):
        settlement = (
            self.env["spp.merchant.settlement"]
            .with_user(user or self.maker)
            .create(
                {
                    "merchant_id": (merchant or self.shop_a).id,
                    "program_id": self.program.id,
                    "date_from": self.today - datetime.timedelta(days=10),
                    "date_to": self.today,
                    "fsp_id": self.fsp.id,
                    **vals,
                }
            )
        )
        settlement.action_collect()
        return settlement

    def _approved(self, settlement):
        settlement.action_submit()
        with trap_jobs() as trap:
            settlement.with_user(self.checker).action_approve()
            perform_jobs(trap)
        settlement.invalidate_recordset()
        return settlement

    def test_batch_of_the_merchant_program_and_period(self):
        settlement = self._settlement()
        self.assertEqual(settlement.redemption_ids, self.captured | self.reversed)
        self.assertEqual(settlement.redemption_count, 4)
        # 20.25 + 30.10 + 9.65: exact, not 59.99999.
        self.assertEqual(
            settlement.currency_id.compare_amounts(settlement.amount_due, 60.0), 0
        )
        self.assertEqual(settlement.captured_total, settlement.amount_due)
        self.assertEqual(
            settlement.currency_id.compare_amounts(settlement.reversed_total, 5.0), 0
        )
        self.assertEqual(settlement.disputed_count, 1)
        for excluded in (self.disputed, self.held, self.later, self.other_shop):
            self.assertFalse(excluded.settlement_id)

    def test_maker_never_approves(self):
        manager = self.checker
        settlement = self._settlement(user=manager)
        settlement.action_submit()
        with self.assertRaises(UserError):
            settlement.with_user(manager).action_approve()
        self.assertEqual(settlement.approval_state, "submitted")
        with self.assertRaises(AccessError):
            settlement.with_user(self.users["viewer"]).action_approve()
        with trap_jobs() as trap:
            settlement.with_user(self.manager2).action_approve()
            perform_jobs(trap)
        self.assertEqual(settlement.approval_state, "approved")
        self.assertTrue(settlement.payment_id)

    def test_approval_pays_the_merchant_in_a_bank_file(self):
        settlement = self._approved(self._settlement())
        payment = settlement.payment_id
        self.assertEqual(payment.partner_id, self.shop_a.partner_id)
        self.assertEqual(payment.destination, "KE-ACC-000111")
        self.assertEqual(payment.fsp_id, self.fsp)
        self.assertEqual(payment.currency_id.compare_amounts(payment.amount, 60.0), 0)
        self.assertEqual(payment.state, "sent")
        self.assertEqual(settlement.state, "approved")
        payment_file = self.env["spp.payment.file"].search(
            [("fsp_id", "=", self.fsp.id)], order="id desc", limit=1
        )
        content = payment_file._spp_verified_content().decode()
        self.assertIn(f"{payment.reference};Duka;KE-ACC-000111;60.00", content)
        self.assertIn("TOTAL;1;60.00", content)
        # The bank's reply is applied as for any payment: paid marks it paid.
        payment._set_paid(reason="bank reply")
        settlement.invalidate_recordset()
        self.assertEqual(settlement.state, "paid")

    def test_bank_reply_imported_and_accepted_marks_it_paid(self):
        settlement = self._approved(self._settlement())
        payment = settlement.payment_id
        action = settlement.with_user(self.maker).action_import_bank_reply()
        self.assertEqual(
            action["context"]["default_merchant_settlement_id"], settlement.id
        )
        other = self.payroll.payment_ids[:1]
        reply = (
            "reference,status,amount,date,receipt,agent\n"
            f"{payment.reference},SUCCESS,60.00,{self.today},BANK-77,hq\n"
        )
        wizard = (
            self.env["spp.reconciliation.import"]
            .with_user(self.maker)
            .with_context(**action["context"])
            .create(
                {
                    "data": base64.b64encode(reply.encode()),
                    "file_name": "settlement-reply.csv",
                }
            )
        )
        self.assertEqual(wizard.fsp_id, self.fsp)
        # A payroll's payment is not this settlement's: refused, nothing made.
        wizard.data = base64.b64encode(
            (reply + f"{other.reference},SUCCESS,50.70,{self.today},B,hq\n").encode()
        )
        wizard.action_check()
        self.assertEqual(wizard.error_count, 1, wizard.result_html)
        with self.assertRaises(UserError):
            wizard.action_import()
        wizard.data = base64.b64encode(reply.encode())
        wizard.action_check()
        self.assertEqual(wizard.error_count, 0, wizard.result_html)
        action = wizard.action_import()
        batch = self.env["spp.reconciliation"].browse(action["res_id"])
        self.assertFalse(batch.payroll_id)
        self.assertEqual(batch.program_id, self.program)
        self.assertEqual(batch.approval_state, "submitted")
        self.assertEqual(payment.state, "sent", "nothing moves before acceptance")
        with self.assertRaises(UserError):
            batch.with_user(self.maker).action_approve()  # the importer
        batch.with_user(self.checker).action_approve()
        payment.invalidate_recordset()
        settlement.invalidate_recordset()
        self.assertEqual(payment.state, "paid")
        self.assertEqual(settlement.state, "paid")

    def test_reply_needs_a_payroll_or_a_settlement(self):
        wizard = (
            self.env["spp.reconciliation.import"]
            .with_user(self.maker)
            .create(
                {
                    "fsp_id": self.fsp.id,
                    "data": base64.b64encode(
                        b"reference,status,amount,date,receipt,agent\n"
                        b"PAY-1,SUCCESS,1.00,2026-11-10,R-1,hq\n"
                    ),
                    "file_name": "reply.csv",
                }
            )
        )
        with self.assertRaisesRegex(UserError, "payroll or the merchant settlement"):
            wizard.action_check()

    def test_failed_payment_then_retry(self):
        settlement = self._approved(self._settlement())
        settlement.payment_id._set_failed(reason="account closed")
        settlement.invalidate_recordset()
        self.assertEqual(settlement.state, "failed")
        with trap_jobs() as trap:
            settlement.with_user(self.maker).action_retry_payment()
            perform_jobs(trap)
        settlement.invalidate_recordset()
        self.assertEqual(settlement.payment_id.state, "sent")
        self.assertEqual(settlement.payment_id.attempt_count, 2)
        self.assertEqual(settlement.state, "approved")

    def test_nothing_settled_twice(self):
        first = self._settlement()
        second = self._settlement()
        self.assertFalse(second.redemption_ids)
        with self.assertRaises(UserError):
            second.action_submit()
        # No path links a redemption by hand, not even a superuser's write.
        for records in (
            self.captured[0].with_user(self.checker),
            self.captured[0].sudo(),
        ):
            with self.assertRaises(UserError):
                records.write({"settlement_id": second.id})
        self.assertEqual(self.captured[0].settlement_id, first)
        # A rejected settlement frees its redemptions for a corrected one.
        first.action_submit()
        first.with_user(self.checker).action_reject("wrong period")
        self.assertFalse(first.redemption_ids)
        self.assertFalse(first.amount_due)
        second.action_collect()
        self.assertEqual(second.redemption_ids, self.captured | self.reversed)

    def test_disputed_redemption_is_held_until_resolved(self):
        with self.assertRaises(AccessError):
            self.disputed.with_user(self.maker).action_resolve_dispute("ok")
        self.disputed.with_user(self.checker).action_resolve_dispute("receipt found")
        self.assertFalse(self.disputed.is_disputed)
        settlement = self._settlement()
        self.assertIn(self.disputed, settlement.redemption_ids)
        self.assertEqual(settlement.disputed_count, 0)
        with self.assertRaises(UserError):
            self.disputed.with_user(self.checker).action_dispute("again")

    def test_totals_are_not_written_by_hand(self):
        settlement = self._settlement()
        for vals in ({"amount_due": 1000.0}, {"state": "paid"}, {"payment_id": 1}):
            with self.assertRaises(UserError):
                settlement.write(vals)
        with self.assertRaises(UserError):
            self.env["spp.merchant.settlement"].with_user(self.maker).create(
                {
                    "merchant_id": self.shop_b.id,
                    "program_id": self.program.id,
                    "date_from": self.today,
                    "date_to": self.today,
                    "fsp_id": self.fsp.id,
                    "amount_due": 999.0,
                }
            )

    def test_partial_reversal_retotals_a_draft_and_submitted_ones_refuse(self):
        settlement = self._settlement()
        part = self.captured[1].with_user(self.checker)
        part._spp_reverse("one item returned", 10.10, self._uuid())
        # 20.25 + (30.10 - 10.10) + 9.65; 5.00 + 10.10 given back.
        currency = settlement.currency_id
        self.assertEqual(currency.compare_amounts(settlement.amount_due, 49.90), 0)
        self.assertEqual(currency.compare_amounts(settlement.reversed_total, 15.10), 0)
        settlement.action_submit()
        balance = self.captured[0].voucher_id.balance
        with self.assertRaisesRegex(UserError, "can no longer be reversed"):
            self.captured[0].with_user(self.checker)._spp_reverse("late", 1.00)
        self.assertEqual(self.captured[0].voucher_id.balance, balance)
        self.assertFalse(self.captured[0].reversed_amount)
        self.assertEqual(currency.compare_amounts(settlement.amount_due, 49.90), 0)
