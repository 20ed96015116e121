# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Vouchers, a signing key and an approved merchant linked to a till, for the
POS tests; tokens signed by spp_payment_core's voucher_token."""

from datetime import date, timedelta

from spp_payment_core import voucher_token as vt

from odoo.addons.spp_approval.tests.tools import mark_approved
from odoo.addons.spp_payment_base.tools import guarded_write
from odoo.addons.spp_voucher.models.spp_voucher import LEDGER_GUARD


class VoucherFixture:
    """Mixed into a test class after Odoo's POS commons: call
    ``_spp_voucher_setup(config, cashiers)`` from setUpClass; ``cashiers``
    (users) are the merchant's, the only ones who take vouchers at its till."""

    @classmethod
    def _spp_voucher_setup(cls, config, cashiers=None):
        # The program's side is set up by its administrators, not the POS user.
        env = cls.env(su=True)
        cls.program = env["spp.program"].create(
            {"name": "Food Vouchers", "code": "FV", "target_type": "household"}
        )
        # The key makes its own pair; the tests sign as the server would.
        cls.voucher_key = env["spp.voucher.key"].create(
            {"name": "FV 2026", "program_id": cls.program.id}
        )
        cls.signing_key = cls.voucher_key.private_key
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
            {
                "partner_id": env["res.partner"].create({"name": "Corner Shop"}).id,
                "user_ids": [(6, 0, cashiers.ids if cashiers else [])],
            }
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

    _spp_mark_approved = staticmethod(mark_approved)

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
        with guarded_write(LEDGER_GUARD):
            voucher = env["spp.voucher"].create(
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
                    "code_hash": vt.code_hash(code),
                }
            )
        token = cls._spp_token(voucher, code)
        return voucher, token

    @classmethod
    def _spp_token(cls, voucher, code):
        return vt.encode_token(
            cls.signing_key,
            cls.voucher_key.kid,
            voucher.id,
            f"{voucher.amount:.{voucher.currency_id.decimal_places}f}",
            voucher.currency_id.name,
            voucher.valid_until,
            code,
        )
