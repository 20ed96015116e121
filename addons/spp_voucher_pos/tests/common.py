# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Vouchers, a signing key and an approved merchant linked to a till, for the
POS tests; signed tokens made by the contract of spp_voucher's DEVELOP.md."""

import base64
import hashlib
import json
from datetime import date, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from odoo.tools import SQL

from . import ledger_standin


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class VoucherFixture:
    """Mixed into a test class after Odoo's POS commons: call
    ``_spp_voucher_setup(config)`` from setUpClass."""

    @classmethod
    def _spp_voucher_setup(cls, config):
        ledger_standin.install(cls)
        # The program's side is set up by its administrators, not the POS user.
        env = cls.env(su=True)
        cls.signing_key = Ed25519PrivateKey.generate()
        cls.program = env["spp.program"].create(
            {"name": "Food Vouchers", "code": "FV", "target_type": "household"}
        )
        cls.voucher_key = env["spp.voucher.key"].create(
            {
                "name": "FV 2026",
                "kid": "fv-2026",
                "program_id": cls.program.id,
                "public_key": b64url(
                    cls.signing_key.public_key().public_bytes(
                        Encoding.Raw, PublicFormat.Raw
                    )
                ),
            }
        )
        cls.beneficiary = env["res.partner"].create(
            {
                "name": "Household VP-0001",
                "is_registrant": True,
                "registrant_type": "household",
                "registrant_number": "VP-0001",
            }
        )
        cls.membership = env["spp.program.membership"].create(
            {"program_id": cls.program.id, "partner_id": cls.beneficiary.id}
        )
        cls.merchant = env["spp.merchant"].create(
            {"partner_id": env["res.partner"].create({"name": "Corner Shop"}).id}
        )
        cls._spp_mark_approved(cls.merchant)
        config.sudo().write(
            {
                "spp_merchant_id": cls.merchant.id,
                "spp_voucher_offline": True,
                "spp_voucher_offline_limit": 500,
            }
        )
        cls.voucher_pm = config._spp_voucher_payment_method()

    @staticmethod
    def _spp_mark_approved(record):
        """Approved without its maker-checker round (spp_voucher tests it)."""
        record.flush_recordset()
        record.env.cr.execute(
            SQL(
                "UPDATE %s SET approval_state = 'approved' WHERE id = %s",
                SQL.identifier(record._table),
                record.id,
            )
        )
        record.invalidate_recordset()

    @classmethod
    def _spp_voucher(cls, amount=100.0, code="ABCDE12345", days=30):
        env = cls.env(su=True)
        currency = env.company.currency_id
        payment = env["spp.payment"].create(
            {
                "program_id": cls.program.id,
                "membership_id": cls.membership.id,
                "partner_id": cls.beneficiary.id,
                "channel": "voucher",
                "amount": amount,
            }
        )
        voucher = (
            env["spp.voucher"]
            .sudo()
            .create(
                {
                    "name": f"VCH-{payment.id:05d}",
                    "payment_id": payment.id,
                    "program_id": cls.program.id,
                    "company_id": env.company.id,
                    "currency_id": currency.id,
                    "partner_id": cls.beneficiary.id,
                    "amount": amount,
                    "balance": amount,
                    "valid_from": date.today() - timedelta(days=1),
                    "valid_until": date.today() + timedelta(days=days),
                    "key_id": cls.voucher_key.id,
                    "code_hash": hashlib.sha256(code.encode()).hexdigest(),
                }
            )
        )
        token = cls._spp_token(voucher, code)
        return voucher, token

    @classmethod
    def _spp_token(cls, voucher, code, key=None, **override):
        payload = {
            "a": f"{voucher.amount:.{voucher.currency_id.decimal_places}f}",
            "c": voucher.currency_id.name,
            "e": str(voucher.valid_until),
            "i": voucher.id,
            "k": cls.voucher_key.kid,
            "s": code,
            "v": 1,
            **override,
        }
        raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        signature = (key or cls.signing_key).sign(raw)
        return f"{b64url(raw)}.{b64url(signature)}"
