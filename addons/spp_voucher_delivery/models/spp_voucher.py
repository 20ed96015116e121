# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What a card or a message shows of a voucher, and the one place that asks
spp_voucher for its secret code and signed token (see _spp_card_secrets)."""

import base64
import hashlib
import hmac
import json

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SENDER = "spp_payment_base.group_spp_finance_officer"


class SppVoucher(models.Model):
    _inherit = "spp.voucher"

    delivery_ids = fields.One2many("spp.voucher.delivery", "voucher_id", readonly=True)
    last_delivery_id = fields.Many2one(
        "spp.voucher.delivery", string="Last Delivery", compute="_compute_last_delivery"
    )

    def _compute_last_delivery(self):
        for voucher in self:
            voucher.last_delivery_id = voucher.delivery_ids.sorted("attempt")[-1:]

    # The secret code and the token (adapter to spp_voucher) ---------------

    def _spp_card_secrets(self):
        """{voucher id: (code "XXXXX-XXXXX", signed token or "")}. Only finance
        officers see secret codes. spp_voucher's own method, when it has one,
        is the source; until then the code is derived from the database secret
        and checked against the stored hash, and the token is encoded by the
        contract of spp_voucher/readme/DEVELOP.md."""
        if not self.env.su and not self.env.user.has_group(SENDER):
            raise AccessError(self.env._("Only finance officers print or send vouchers."))
        provided = getattr(super(), "_spp_voucher_secrets", None)
        if provided is not None:
            return provided()
        secrets = {}
        refused = self.browse()
        for voucher in self.sudo():
            code = _derived_code(self.env, voucher.id)
            digest = hashlib.sha256(code.replace("-", "").encode()).hexdigest()
            if not voucher.code_hash or not hmac.compare_digest(
                voucher.code_hash, digest
            ):
                refused |= voucher
                continue
            secrets[voucher.id] = (code, _token(voucher, code))
        if refused:
            raise UserError(
                self.env._(
                    "These vouchers have no printable code: %s.",
                    ", ".join(refused.mapped("name")[:10]),
                )
            )
        return secrets

    def _spp_card_values(self):
        """Per voucher, what its card shows (the QR is a PNG of the token)."""
        secrets = self._spp_card_secrets()
        report = self.env["ir.actions.report"]
        cards = []
        for voucher in self:
            code, token = secrets[voucher.id]
            qr = ""
            if token:
                png = report.barcode("QR", token, width=300, height=300)
                qr = "data:image/png;base64," + base64.b64encode(png).decode()
            cards.append(
                {
                    "voucher": voucher,
                    "code": code,
                    "token": token,
                    "qr": qr,
                    "amount": voucher._spp_amount_text(),
                    "expiry": fields.Date.to_string(voucher.valid_until),
                    "group": voucher._spp_card_group(),
                }
            )
        return cards

    def _spp_amount_text(self):
        """"50.70 KES": plain characters (wkhtmltopdf and some phones garble
        the no-break space of formatted amounts)."""
        self.ensure_one()
        places = self.currency_id.decimal_places
        return f"{self.amount:.{places}f} {self.currency_id.name}"

    def _spp_card_group(self):
        """Cards are printed grouped by this (the payroll; a payment point
        module may return the beneficiary's point instead)."""
        self.ensure_one()
        payroll = self.payment_id.payroll_id
        return payroll.name if payroll else self.program_id.name

    def _spp_message(self, delivery):
        """(text, template parameters) of the message of ``delivery``."""
        self.ensure_one()
        code, _token = self._spp_card_secrets()[self.id]
        amount = self._spp_amount_text()
        expiry = fields.Date.to_string(self.valid_until)
        text = self.env._(
            "%(name)s, your voucher %(number)s of %(amount)s: code %(code)s, "
            "valid until %(expiry)s. Show this code at an approved shop.",
            name=self.partner_id.name,
            number=self.name,
            amount=amount,
            code=code,
            expiry=expiry,
        )
        return text, [self.partner_id.name, amount, code, expiry]

    # Actions -------------------------------------------------------------

    def action_send(self, provider):
        """Send these vouchers through ``provider``; vouchers already sent are
        skipped (retry their failed deliveries instead)."""
        deliveries = self.env["spp.voucher.delivery"]._spp_queue(self, provider)
        deliveries._spp_enqueue_sending()
        return deliveries

    def action_print_cards(self):
        self._spp_card_secrets()  # refuse before rendering
        return self.env.ref(
            "spp_voucher_delivery.action_report_voucher_cards"
        ).report_action(self)


def _derived_code(env, voucher_id):
    """10 Crockford base32 characters from HMAC(database secret, voucher id),
    shown XXXXX-XXXXX."""
    secret = env["ir.config_parameter"].sudo().get_param("database.secret", "")
    digest = hmac.new(
        secret.encode(), f"spp.voucher.code:{voucher_id}".encode(), hashlib.sha256
    ).digest()
    number = int.from_bytes(digest[:7], "big") >> 6  # 50 bits
    chars = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in range(9, -1, -1))
    return f"{chars[:5]}-{chars[5:]}"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(voucher, code):
    """The signed token of DEVELOP.md, or "" without a signing key."""
    key = voucher.key_id.sudo()
    if not key or not key.private_key:
        return ""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    payload = json.dumps(
        {
            "a": f"{voucher.amount:.{voucher.currency_id.decimal_places}f}",
            "c": voucher.currency_id.name,
            "e": fields.Date.to_string(voucher.valid_until),
            "i": voucher.id,
            "k": key.kid,
            "s": code,
            "v": 1,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    raw = base64.urlsafe_b64decode(key.private_key + "=" * (-len(key.private_key) % 4))
    signature = Ed25519PrivateKey.from_private_bytes(raw).sign(payload)
    return f"{_b64(payload)}.{_b64(signature)}"
