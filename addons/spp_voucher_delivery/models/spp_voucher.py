# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What a card or a message shows of a voucher; its secret code and signed
token come from spp_voucher (_spp_secrets), through _spp_card_secrets."""

import base64

from odoo import fields, models
from odoo.exceptions import AccessError

SENDER = "spp_payment_base.group_spp_finance_officer"


class SppVoucher(models.Model):
    _inherit = "spp.voucher"

    delivery_ids = fields.One2many("spp.voucher.delivery", "voucher_id", readonly=True)
    last_delivery_id = fields.Many2one(
        "spp.voucher.delivery", compute="_compute_last_delivery"
    )

    def _compute_last_delivery(self):
        for voucher in self:
            voucher.last_delivery_id = voucher.delivery_ids.sorted("attempt")[-1:]

    # The secret code and the token (from spp_voucher) ---------------------

    def _spp_card_secrets(self):
        """{voucher id: (code "XXXXX-XXXXX", signed token)}, derived again by
        spp_voucher (never stored). Only finance officers see secret codes."""
        if not self.env.su and not self.env.user.has_group(SENDER):
            raise AccessError(
                self.env._("Only finance officers print or send vouchers.")
            )
        self.check_access("read")
        return self.sudo()._spp_secrets()

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
                    "amount": voucher._spp_amount_label(),
                    "expiry": fields.Date.to_string(voucher.valid_until),
                    "group": voucher._spp_card_group(),
                }
            )
        return cards

    def _spp_amount_label(self):
        """ "50.70 KES": plain characters (wkhtmltopdf and some phones garble
        the no-break space of formatted amounts)."""
        self.ensure_one()
        return f"{self._spp_amount_text(self.amount)} {self.currency_id.name}"

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
        amount = self._spp_amount_label()
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
