# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

LIVE_STATES = ("active", "partial")


class PosPaymentMethod(models.Model):
    _inherit = "pos.payment.method"

    def _get_payment_terminal_selection(self):
        return super()._get_payment_terminal_selection() + [
            ("spp_voucher", "SPP Voucher")
        ]

    # -- the till's context, checked on every call ---------------------------

    def _spp_voucher_till(self, session_id):
        """(session, config, merchant) of a voucher call, refused unless the
        method is the voucher one, of an open session the user may use, the
        till is linked to an approved, active merchant and the user is one of
        its cashiers."""
        self.ensure_one()
        if self.use_payment_terminal != "spp_voucher":
            raise UserError(
                self.env._("%s is not a voucher payment method.", self.name)
            )
        session = self.env["pos.session"].browse(int(session_id)).exists()
        if not session:
            raise UserError(self.env._("Unknown POS session."))
        session.check_access("read")
        if session.state != "opened":
            raise UserError(self.env._("The POS session %s is not open.", session.name))
        if self not in session.payment_method_ids:
            raise UserError(
                self.env._("%s is not a payment method of this till.", self.name)
            )
        config = session.config_id
        merchant = config._spp_voucher_merchant()
        config._spp_voucher_operator()
        return session, config, merchant

    @staticmethod
    def _spp_voucher_available(voucher):
        return voucher.currency_id.round(voucher.balance - voucher.held_amount)

    def _spp_voucher_answer(self, redemption):
        voucher = redemption.voucher_id
        return {
            "ok": True,
            "redemption_id": redemption.id,
            "amount": redemption.amount,
            "voucher_id": voucher.id,
            "voucher_name": voucher.name,
            "balance": self._spp_voucher_available(voucher),
        }

    # -- RPC: authorise a hold, release it, list a beneficiary's vouchers ----

    def spp_voucher_authorize(
        self, session_id, code, amount, payment_uuid, voucher_id=None, id_number=None
    ):
        """Hold ``amount`` of the voucher named by ``code`` (a signed token or the
        typed code), or of ``voucher_id`` found by the beneficiary's ID, for the
        POS payment line ``payment_uuid``. Answers ``{ok, ...}``; a refusal
        (``ok`` false, ``error``) changes nothing."""
        session, config, merchant = self._spp_voucher_till(session_id)
        if not payment_uuid or not isinstance(payment_uuid, str):
            raise UserError(
                self.env._("A voucher payment needs its payment line's UUID.")
            )
        amount = config.currency_id.round(float(amount or 0))
        try:
            if config.currency_id.compare_amounts(amount, 0) <= 0:
                raise UserError(self.env._("A voucher pays a positive amount."))
            refusal = config._spp_voucher_limit_refusal(amount, self.env.user)
            if refusal:
                raise UserError(refusal)
            with self.env.cr.savepoint():
                hold = self._spp_voucher_hold(
                    config, merchant, code, amount, payment_uuid, voucher_id, id_number
                )
        except (UserError, ValidationError) as error:
            return {"ok": False, "error": str(error.args[0] if error.args else error)}
        if hold.state != "authorized":
            # A repeated UUID answers the first row: a line already captured or
            # released cannot hold again.
            return {
                "ok": False,
                "error": self.env._(
                    "This payment line's voucher hold is %s.", hold.state
                ),
            }
        return self._spp_voucher_answer(hold)

    def _spp_voucher_hold(
        self, config, merchant, code, amount, payment_uuid, voucher_id, id_number
    ):
        Voucher = self.env["spp.voucher"].sudo()
        kwargs = {
            "channel": "pos",
            "device": config.name,
            "cashier": self.env.user,
        }
        if voucher_id:
            voucher = self._spp_voucher_of_beneficiary(config, id_number).filtered(
                lambda v: v.id == int(voucher_id)
            )
            if not voucher:
                raise UserError(
                    self.env._("This voucher is not one of that beneficiary's.")
                )
            # Found by the beneficiary's ID: the ledger takes the record.
            return Voucher._spp_hold(voucher, amount, payment_uuid, merchant, **kwargs)
        if not code or not isinstance(code, str):
            raise UserError(self.env._("Scan or type a voucher code."))
        return Voucher._spp_hold(code.strip(), amount, payment_uuid, merchant, **kwargs)

    def spp_voucher_release(self, session_id, payment_uuid):
        """Release the hold of a removed or reversed payment line."""
        session, config, merchant = self._spp_voucher_till(session_id)
        hold = (
            self.env["spp.voucher.redemption"]
            .sudo()
            .search(
                [
                    ("txn_uuid", "=", payment_uuid),
                    ("merchant_id", "=", merchant.id),
                    ("state", "=", "authorized"),
                ],
                limit=1,
            )
        )
        if hold:
            hold._spp_release()
        return {"ok": True, "released": bool(hold)}

    def _spp_voucher_of_beneficiary(self, config, id_number):
        id_number = (id_number or "").strip()
        if not id_number:
            raise UserError(self.env._("Scan or type the beneficiary's ID."))
        partners = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    "|",
                    ("registrant_number", "=", id_number),
                    ("barcode", "=", id_number),
                ],
                limit=2,
            )
        )
        if len(partners) != 1:
            raise UserError(
                self.env._("No single beneficiary has the ID %s.", id_number)
            )
        today = fields.Date.context_today(self)
        merchant = config.spp_merchant_id
        return (
            self.env["spp.voucher"]
            .sudo()
            .search(
                [
                    "|",
                    ("partner_id", "=", partners.id),
                    ("collector_id", "=", partners.id),
                    ("state", "in", LIVE_STATES),
                    ("valid_from", "<=", today),
                    ("valid_until", ">=", today),
                    ("company_id", "=", config.company_id.id),
                ]
            )
            .filtered(
                lambda v: (
                    (not v.merchant_ids or merchant in v.merchant_ids)
                    and (
                        not v.merchant_category_ids
                        or v.merchant_category_ids & merchant.category_ids
                    )
                )
            )
        )

    def spp_voucher_partner_vouchers(self, session_id, id_number):
        """The live vouchers of the beneficiary with this ID (a scanned card),
        that this till's merchant accepts. Online only."""
        session, config, merchant = self._spp_voucher_till(session_id)
        try:
            vouchers = self._spp_voucher_of_beneficiary(config, id_number)
        except UserError as error:
            return {"ok": False, "error": str(error.args[0])}
        return {
            "ok": True,
            "vouchers": [
                {
                    "id": v.id,
                    "name": v.name,
                    "balance": self._spp_voucher_available(v),
                    "valid_until": fields.Date.to_string(v.valid_until),
                }
                for v in vouchers
                if v.currency_id.compare_amounts(self._spp_voucher_available(v), 0) > 0
            ],
        }
