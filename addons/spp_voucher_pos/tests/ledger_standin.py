# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A minimal stand-in of spp_voucher's ledger contract (readme/DEVELOP.md),
used by these tests only while spp_voucher does not define it yet: installed
on the registry's classes for the test class, removed after. With the real
ledger present, nothing is patched."""

import base64
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from odoo import fields
from odoo.exceptions import UserError


def _b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode(env, token):
    try:
        payload_b64, sig_b64 = token.split(".")
        raw = _b64d(payload_b64)
        payload = json.loads(raw)
    except ValueError as error:
        raise UserError("Malformed voucher token.") from error
    key = env["spp.voucher.key"].sudo().search(
        [("kid", "=", payload.get("k")), ("state", "!=", "revoked")], limit=1
    )
    if not key:
        raise UserError("Unknown voucher key.")
    try:
        Ed25519PublicKey.from_public_bytes(_b64d(key.public_key)).verify(
            _b64d(sig_b64), raw
        )
    except InvalidSignature as error:
        raise UserError("Bad voucher signature.") from error
    return payload


def _voucher_of(self, token_or_code):
    Voucher = self.env["spp.voucher"].sudo()
    if not token_or_code and len(self) == 1:
        return self.sudo()
    if "." in token_or_code:
        payload = _decode(self.env, token_or_code)
        voucher = Voucher.browse(payload["i"]).exists()
        code = payload["s"]
    else:
        code = token_or_code
        voucher = Voucher
    code = code.replace("-", "").upper()
    digest = hashlib.sha256(code.encode()).hexdigest()
    voucher = voucher.filtered(lambda v: v.code_hash == digest) if voucher else (
        Voucher.search([("code_hash", "=", digest)], limit=1)
    )
    if not voucher:
        raise UserError("Unknown voucher.")
    return voucher


def _available(voucher):
    held = sum(
        voucher.redemption_ids.filtered(lambda r: r.state == "authorized").mapped(
            "amount"
        )
    )
    return voucher.balance - held


def _lock(voucher):
    voucher.env.cr.execute(
        "SELECT id FROM spp_voucher WHERE id = %s FOR UPDATE", [voucher.id]
    )
    voucher.invalidate_recordset()
    voucher.redemption_ids.invalidate_recordset()


def _row(voucher, amount, txn_uuid, merchant, state, channel, device, cashier, offline):
    return voucher.env["spp.voucher.redemption"].sudo().create(
        {
            "voucher_id": voucher.id,
            "merchant_id": merchant.id,
            "amount": amount,
            "txn_uuid": txn_uuid,
            "state": state,
            "channel": channel,
            "device": device,
            "cashier_id": cashier.id if cashier else False,
            "offline": offline,
        }
    )


def _existing(env, txn_uuid):
    return env["spp.voucher.redemption"].sudo().search(
        [("txn_uuid", "=", txn_uuid)], limit=1
    )


def _spp_hold(
    self, token_or_code, amount, txn_uuid, merchant, channel="api", device=None,
    cashier=None, offline=False,
):
    if first := _existing(self.env, txn_uuid):
        return first
    voucher = _voucher_of(self, token_or_code)
    _lock(voucher)
    if voucher.state not in ("active", "partial"):
        raise UserError(f"Voucher {voucher.name} is {voucher.state}.")
    today = fields.Date.context_today(self)
    if not voucher.valid_from <= today <= voucher.valid_until:
        raise UserError(f"Voucher {voucher.name} is not valid today.")
    if voucher.currency_id.compare_amounts(amount, _available(voucher)) > 0:
        raise UserError(f"Voucher {voucher.name} has {_available(voucher)} left.")
    return _row(
        voucher, amount, txn_uuid, merchant, "authorized", channel, device, cashier,
        offline,
    )


def _move(voucher, amount):
    balance = voucher.currency_id.round(voucher.balance - amount)
    voucher.sudo().write(
        {
            "balance": balance,
            "state": "redeemed" if voucher.currency_id.is_zero(balance) else "partial",
        }
    )


def _spp_capture(self):
    for hold in self.sudo():
        _lock(hold.voucher_id)
        if hold.state == "authorized":
            _move(hold.voucher_id, hold.amount)
            hold.state = "captured"
    return self


def _spp_release(self):
    self.sudo().filtered(lambda r: r.state == "authorized").write(
        {"state": "released"}
    )
    return self


def _spp_record_offline(
    self, token, amount, txn_uuid, merchant, channel="pos", device=None,
    cashier=None, **kwargs,
):
    if first := _existing(self.env, txn_uuid):
        return first
    voucher = _voucher_of(self, token)
    _lock(voucher)
    applied = min(amount, max(_available(voucher), 0))
    rows = []
    if applied > 0:
        _move(voucher, applied)
        rows.append(
            _row(voucher, applied, txn_uuid, merchant, "captured", channel, device,
                 cashier, True)
        )
    rest = voucher.currency_id.round(amount - applied)
    if rest > 0:
        rows.append(
            _row(voucher, rest, txn_uuid + (":conflict" if rows else ""), merchant,
                 "conflict", channel, device, cashier, True)
        )
    return rows[0]


PATCHES = {
    "spp.voucher": {"_spp_hold": _spp_hold, "_spp_record_offline": _spp_record_offline},
    "spp.voucher.redemption": {"_spp_capture": _spp_capture, "_spp_release": _spp_release},
}


def install(test_class):
    """Patch what the real ledger lacks, for this test class only."""
    for model, methods in PATCHES.items():
        cls = type(test_class.env[model])
        for name, method in methods.items():
            if not hasattr(cls, name):
                setattr(cls, name, method)
                test_class.addClassCleanup(delattr, cls, name)
