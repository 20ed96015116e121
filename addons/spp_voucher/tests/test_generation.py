# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import datetime

from spp_payment_core import voucher_token as vt

from odoo.exceptions import UserError

from .common import SppVoucherCommon


class TestGeneration(SppVoucherCommon):
    def test_one_voucher_per_payment_on_approval(self):
        payments = self.payroll.payment_ids
        self.assertEqual(len(payments), 5)
        self.assertEqual(len(self.vouchers), len(payments))
        self.assertEqual(self.vouchers.payment_id, payments)
        self.assertEqual(self.payroll.voucher_count, 5)
        for voucher in self.vouchers:
            payment = voucher.payment_id
            self.assertEqual(voucher.amount, payment.amount)
            self.assertEqual(voucher.balance, payment.amount)
            self.assertEqual(voucher.partner_id, payment.partner_id)
            self.assertEqual(voucher.cycle_id, self.cycle)
            self.assertEqual(voucher.state, "active")
            self.assertEqual(voucher.name, f"V{voucher.id:09d}")
            self.assertEqual(
                voucher.valid_until - voucher.valid_from, datetime.timedelta(days=90)
            )
        self.assertEqual(sum(self.vouchers.mapped("amount")), self.payroll.total_amount)

    def test_code_hash_is_the_hmac_code_and_no_code_is_stored(self):
        secret = self.program.sudo().voucher_code_secret
        self.assertEqual(len(secret), 64)
        hashes = set()
        for voucher in self.vouchers:
            # The SQL of the generation computes what the library derives.
            code = vt.derive_code(secret, voucher.id)
            self.assertEqual(voucher.code_hash, vt.code_hash(code))
            self.assertEqual(voucher._spp_code(), vt.format_code(code))
            hashes.add(voucher.code_hash)
            stored = voucher.sudo().read()[0]
            self.assertNotIn(code, str(stored))
        self.assertEqual(len(hashes), 5)

    def test_generation_is_idempotent_and_only_for_voucher_payrolls(self):
        self.assertEqual(self.env["spp.voucher"]._spp_generate(self.payroll), 0)
        self.members.write({"channel": "digital"})
        cycle = self._approve(
            self._create_cycle(
                name="2026-12", date_start="2026-12-01", date_end="2026-12-31"
            )
        )
        digital = self._approved_payroll(cycle=cycle)
        self.assertFalse(
            self.env["spp.voucher"].search([("payment_id.payroll_id", "=", digital.id)])
        )

    def test_voucher_payroll_not_sent_to_fsp(self):
        with self.assertRaisesRegex(UserError, "redemptions"):
            self.payroll.with_user(self.users["finance_officer"]).action_execute()

    def test_vouchers_not_made_or_edited_by_hand(self):
        with self.assertRaisesRegex(UserError, "not created by hand"):
            self.env["spp.voucher"].create({"name": "X"})
        with self.assertRaisesRegex(UserError, "balance"):
            self.voucher.write({"balance": 1000})
        with self.assertRaisesRegex(UserError, "kept"):
            self.voucher.unlink()

    def test_implied_columns_carry_no_key_and_their_records_stay(self):
        # A million vouchers are inserted without a key check per row for what
        # the payment implies (measured 15 to 28 s each): only the payment, the
        # collector and the re-issued voucher are foreign keys.
        self.env.cr.execute(
            """
            SELECT a.attname FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid
                                 AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.conrelid = 'spp_voucher'::regclass
            """
        )
        self.assertEqual(
            {row[0] for row in self.env.cr.fetchall()},
            {"payment_id", "collector_id", "origin_voucher_id"},
        )
        # What they point to is held in Python instead.
        key = self.voucher.key_id
        self.assertTrue(key)
        with self.assertRaisesRegex(UserError, "vouchers refer to it"):
            key.sudo().unlink()
        author = self.voucher.create_uid
        self.assertEqual(author, self.users["finance_manager"])
        with self.assertRaisesRegex(UserError, "refer to it"):
            author.sudo().unlink()
        with self.assertRaisesRegex(UserError, "refer to it"):
            self.household.sudo().unlink()
