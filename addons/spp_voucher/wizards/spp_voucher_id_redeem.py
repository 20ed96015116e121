# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Redemption by the beneficiary's ID at a service point or till.

A cashier reads no registrant and no voucher: the two server methods below find
the one beneficiary whose ID was typed or scanned and return only that
person's spendable vouchers, and redeem one of them through the ledger."""

import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.spp_payment_base.tools import reopen_wizard

from ..models.spp_voucher import SPENDABLE

CASHIER = "spp_voucher.group_spp_voucher_cashier"
FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"


class SppVoucher(models.Model):
    _inherit = "spp.voucher"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def spp_lookup_by_id(self, id_number, merchant_id):
        """The spendable vouchers, at this merchant today, of the one
        registrant whose registrant number or national ID is ``id_number``:
        a list of dicts (id, name, beneficiary, available, currency, valid
        until). Nothing else of the registry is returned."""
        merchant, partner = self._spp_id_context(id_number, merchant_id)
        today = fields.Date.context_today(self)
        vouchers = self.sudo().search(
            [
                "|",
                ("partner_id", "=", partner.id),
                ("collector_id", "=", partner.id),
                ("state", "in", SPENDABLE),
                ("valid_from", "<=", today),
                ("valid_until", ">=", today),
            ],
            order="valid_until, id",
        )
        return [
            {
                "id": voucher.id,
                "name": voucher.name,
                "beneficiary": voucher.partner_id.name,
                "available": voucher._spp_amount_text(voucher.available_amount),
                "currency": voucher.currency_id.name,
                "valid_until": voucher.valid_until.isoformat(),
            }
            for voucher in vouchers
            if voucher.available_amount > 0
            and merchant._spp_refusal(voucher, 0, today) is None
        ]

    @api.model
    def spp_redeem_by_id(self, id_number, voucher_id, amount, merchant_id, txn_uuid):
        """Redeem ``amount`` of one of those vouchers; returns the redemption's
        id, amount and the voucher's available balance after it."""
        _merchant, _partner = self._spp_id_context(id_number, merchant_id)
        offered = {v["id"] for v in self.spp_lookup_by_id(id_number, merchant_id)}
        if voucher_id not in offered:
            raise UserError(
                self.env._("This voucher is not one of this beneficiary's here.")
            )
        voucher = self.sudo().browse(voucher_id)
        redemption = self._spp_redeem(
            voucher,
            amount,
            txn_uuid,
            self.env["spp.merchant"].browse(merchant_id),
            channel="id",
            cashier=self.env.user,
        )
        return {
            "redemption_id": redemption.id,
            "amount": voucher._spp_amount_text(redemption.sudo().amount),
            "available": voucher._spp_amount_text(voucher.available_amount),
        }

    @api.model
    def _spp_id_context(self, id_number, merchant_id):
        user = self.env.user
        if not (user.has_group(CASHIER) or user.has_group(FINANCE_OFFICER)):
            raise AccessError(self.env._("Only voucher cashiers redeem by ID."))
        merchant = self.env["spp.merchant"].sudo().browse(int(merchant_id)).exists()
        if not merchant:
            raise UserError(self.env._("Choose the merchant you redeem for."))
        merchant.with_env(self.env)._spp_check_operator()
        number = (id_number or "").strip()
        if not number:
            raise UserError(self.env._("Type or scan the beneficiary's ID."))
        partners = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("is_registrant", "=", True),
                    "|",
                    ("registrant_number", "=", number),
                    ("national_id", "=", number),
                ],
                limit=2,
            )
        )
        if len(partners) != 1:
            raise UserError(
                self.env._("No single registrant has this ID.")
                if not partners
                else self.env._("Several registrants share this ID: ask a supervisor.")
            )
        return merchant, partners


class SppVoucherIdRedeem(models.TransientModel):
    """The service point's screen: type or scan an ID, see that beneficiary's
    vouchers, redeem an amount of one."""

    _name = "spp.voucher.id.redeem"
    _description = "Redeem Vouchers by ID"

    merchant_id = fields.Many2one(
        "spp.merchant",
        required=True,
        domain=lambda self: [("user_ids", "in", self.env.uid)],
        default=lambda self: self.env["spp.merchant"].search(
            [("user_ids", "in", self.env.uid)], limit=1
        ),
    )
    id_number = fields.Char(string="Beneficiary ID", required=True)
    beneficiary = fields.Char(readonly=True)
    line_ids = fields.One2many("spp.voucher.id.redeem.line", "wizard_id")
    message = fields.Char(readonly=True)

    def action_lookup(self):
        self.ensure_one()
        found = self.env["spp.voucher"].spp_lookup_by_id(
            self.id_number, self.merchant_id.id
        )
        self.line_ids.unlink()
        self.write(
            {
                "beneficiary": found[0]["beneficiary"] if found else False,
                "message": False
                if found
                else self.env._("No voucher of this beneficiary can be used here."),
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "voucher_ref": row["id"],
                            "name": row["name"],
                            "available": row["available"],
                            "currency": row["currency"],
                            "valid_until": row["valid_until"],
                        },
                    )
                    for row in found
                ],
            }
        )
        return self._spp_reopen()

    def _spp_reopen(self):
        return reopen_wizard(self)


class SppVoucherIdRedeemLine(models.TransientModel):
    _name = "spp.voucher.id.redeem.line"
    _description = "Voucher Found by ID"

    wizard_id = fields.Many2one("spp.voucher.id.redeem", required=True)
    voucher_ref = fields.Integer(readonly=True)
    name = fields.Char(readonly=True)
    available = fields.Char(readonly=True)
    currency = fields.Char(readonly=True)
    valid_until = fields.Date(readonly=True)
    amount = fields.Float(string="Amount to Redeem")
    txn_uuid = fields.Char(default=lambda self: str(uuid.uuid4()), readonly=True)

    def action_redeem(self):
        self.ensure_one()
        wizard = self.wizard_id
        result = self.env["spp.voucher"].spp_redeem_by_id(
            wizard.id_number,
            self.voucher_ref,
            self.amount,
            wizard.merchant_id.id,
            self.txn_uuid,
        )
        wizard.action_lookup()
        wizard.message = self.env._(
            "Redeemed %(amount)s; %(available)s left on the voucher.",
            amount=result["amount"],
            available=result["available"],
        )
        return wizard._spp_reopen()
