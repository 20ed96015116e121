# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

from spp_payment_core import voucher_token as vt

from odoo.exceptions import AccessError, UserError

from .common import SppVoucherCommon


class TestTokensKeys(SppVoucherCommon):
    def _key(self):
        return self.env["spp.voucher.key"]._spp_active_key(self.program)

    def test_token_names_the_voucher_and_verifies_offline(self):
        token = self.voucher._spp_token()
        key = self._key()
        self.assertEqual(self.voucher.key_id, key)
        claims = vt.decode_token(token, {key.kid: key.public_key})
        self.assertEqual(claims["i"], self.voucher.id)
        self.assertEqual(claims["a"], "50.70")
        self.assertEqual(claims["c"], self.voucher.currency_id.name)
        self.assertEqual(claims["e"], self.voucher.valid_until.isoformat())
        self.assertEqual(vt.code_hash(claims["s"]), self.voucher.code_hash)
        self.assertEqual(
            self.env["spp.voucher.key"]._spp_verifying_keys(self.program),
            {key.kid: key.public_key},
        )
        self.assertEqual(self.env["spp.voucher"]._spp_find(token), self.voucher)
        # The typed code finds it too, however it is typed.
        code = self.voucher._spp_code().lower().replace("-", " ")
        self.assertEqual(self.env["spp.voucher"]._spp_find(code), self.voucher)

    def test_tampered_and_foreign_tokens_refused(self):
        token = self.voucher._spp_token()
        payload, signature = token.split(".")
        claims = vt.decode_token(token, {self._key().kid: self._key().public_key})
        more = vt.b64encode(vt.canonical({**claims, "a": "5000.00"}))
        find = self.env["spp.voucher"]._spp_find
        with self.assertRaisesRegex(UserError, "bad signature"):
            find(f"{more}.{signature}")
        # Signed by a key of nobody's.
        private, _public = vt.new_keypair()
        forged = vt.encode_token(
            private,
            "nobody",
            self.voucher.id,
            "50.70",
            "EUR",
            "2030-01-01",
            claims["s"],
        )
        with self.assertRaisesRegex(UserError, "unknown key"):
            find(forged)
        # Signed by the real key for another voucher's id: the code gives it away.
        key = self._key()
        other = self.vouchers[1]
        swapped = vt.encode_token(
            key.sudo().private_key,
            key.kid,
            other.id,
            other._spp_amount_text(other.amount),
            other.currency_id.name,
            other.valid_until,
            claims["s"],
        )
        with self.assertRaisesRegex(UserError, "tampered payload"):
            find(swapped)
        with self.assertRaisesRegex(UserError, "malformed"):
            find("not-a-token.at-all!")
        with self.assertRaisesRegex(UserError, "No voucher has this code"):
            find("00000-00000")

    def test_rotation_keeps_old_tokens_and_revocation_refuses_them(self):
        admin = self.users["admin"]
        old_key = self._key()
        old_token = self.voucher._spp_token()
        new_key = old_key.with_user(admin).action_rotate()
        self.assertEqual(old_key.state, "retired")
        self.assertEqual(self._key(), new_key)
        new_token = self.voucher._spp_token()
        self.assertNotEqual(new_token, old_token)
        self.assertEqual(self.voucher.key_id, new_key)
        # The old card still redeems, and so does the new one.
        model = self.env["spp.voucher"].with_user(self.cashier)
        model._spp_redeem(old_token, 1, self._uuid(), self.merchant)
        model._spp_redeem(new_token, 1, self._uuid(), self.merchant)
        self.assertEqual(self.voucher.balance, 48.70)
        old_key.with_user(admin).action_revoke()
        with self.assertRaisesRegex(UserError, "unknown key"):
            model._spp_redeem(old_token, 1, self._uuid(), self.merchant)
        model._spp_redeem(new_token, 1, self._uuid(), self.merchant)

    def test_batch_secrets_derive_each_code_once_and_sign_with_the_active_key(self):
        admin = self.users["admin"]
        self._key().with_user(admin).action_rotate()
        new_key = self._key()
        secret = self.program.sudo().voucher_code_secret
        derived = []
        real_derive = vt.derive_code

        def derive(secret, voucher_id):
            derived.append(voucher_id)
            return real_derive(secret, voucher_id)

        with patch.object(vt, "derive_code", derive):
            secrets = self.vouchers._spp_secrets()
        # One derivation per voucher: the token carries the code it printed.
        self.assertEqual(sorted(derived), sorted(self.vouchers.ids))
        self.assertEqual(set(secrets), set(self.vouchers.ids))
        for voucher in self.vouchers:
            code, token = secrets[voucher.id]
            self.assertEqual(code, vt.format_code(real_derive(secret, voucher.id)))
            claims = vt.decode_token(token, {new_key.kid: new_key.public_key})
            self.assertEqual(claims["i"], voucher.id)
            self.assertEqual(vt.code_hash(claims["s"]), voucher.code_hash)
        # Every voucher of the batch now names the key that signed its card.
        self.assertEqual(self.vouchers.key_id, new_key)

    def test_private_key_for_administrators_only(self):
        key = self._key()
        for role in ("viewer", "program_officer", "finance_manager"):
            user = self.users[role]
            with self.assertRaises(AccessError, msg=role):
                key.with_user(user).read(["private_key"])
            self.assertNotIn("private_key", key.with_user(user).fields_get(), msg=role)
            with self.assertRaises(AccessError, msg=role):
                self.program.with_user(user).read(["voucher_code_secret"])
            with self.assertRaises(AccessError, msg=role):
                key.with_user(user).action_rotate()
        self.assertTrue(key.with_user(self.users["admin"]).read(["private_key"]))
        self.assertEqual(
            vt.public_of(key.with_user(self.users["admin"]).private_key), key.public_key
        )

    def test_key_material_is_generated_never_given(self):
        admin = self.users["admin"]
        key = (
            self.env["spp.voucher.key"]
            .with_user(admin)
            .create(
                {
                    "name": "mine",
                    "program_id": self.program.id,
                    "private_key": "chosen",
                    "public_key": "chosen",
                    "kid": "chosen",
                }
            )
        )
        self.assertNotEqual(key.kid, "chosen")
        self.assertNotEqual(key.public_key, "chosen")
        with self.assertRaisesRegex(UserError, "never changes"):
            key.with_user(admin).write({"public_key": "x"})
        with self.assertRaises(AccessError):
            self.env["spp.voucher.key"].with_user(self.users["finance_manager"]).create(
                {"name": "x", "program_id": self.program.id}
            )
