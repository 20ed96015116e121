# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from decimal import Decimal

from odoo import models
from odoo.exceptions import AccessError, UserError, ValidationError

_logger = logging.getLogger(__name__)


def _voucher_lines_of(order_vals):
    """{payment uuid: (token, offline)} of the payment values in a sync
    payload; the token is taken out of the values (never stored)."""
    found = {}
    for command in order_vals.get("payment_ids") or []:
        if not isinstance(command, list | tuple) or len(command) < 3:
            continue
        vals = command[2]
        if not isinstance(vals, dict):
            continue
        token = vals.pop("spp_voucher_token", None)
        if vals.get("uuid"):
            found[vals["uuid"]] = (
                token or False,
                bool(vals.get("spp_voucher_offline")),
            )
    return found


class PosOrder(models.Model):
    _inherit = "pos.order"

    def _process_order(self, order, existing_order):
        """Capture the order's voucher payments in the order's own transaction:
        a hold authorised online is captured, an offline-accepted line is
        recorded (first write wins, a conflict flagged, never a raise: that would
        make the sync retry forever). Keyed on the payment's UUID, so a repeated
        sync of the same order moves no balance twice."""
        voucher_lines = _voucher_lines_of(order)
        order_id = super()._process_order(order, existing_order)
        pos_order = self.browse(order_id)
        if pos_order.state not in ("draft", "cancel"):
            pos_order._spp_voucher_capture(voucher_lines)
        return order_id

    def _spp_voucher_payments(self):
        return self.payment_ids.filtered(
            lambda p: (
                p.payment_method_id.use_payment_terminal == "spp_voucher"
                and not p.is_change
            )
        )

    def _spp_voucher_capture(self, voucher_lines):
        self.ensure_one()
        currency = self.currency_id
        # Zero lines were reversed at the till: their hold was released.
        payments = self._spp_voucher_payments().filtered(
            lambda p: not currency.is_zero(p.amount)
        )
        if not payments:
            return
        try:
            self.config_id._spp_voucher_operator()
        except AccessError as error:
            # The sale stands (a raise would make the till sync it forever);
            # a user who is not the merchant's cashier writes nothing to the
            # ledger: each voucher line is flagged for the back office.
            for payment in payments:
                self._spp_voucher_flag(
                    payment,
                    self.env._(
                        "Voucher payment not recorded on sync: %s", error.args[0]
                    ),
                )
            return
        Redemption = self.env["spp.voucher.redemption"].sudo()
        for payment in payments:
            if currency.compare_amounts(payment.amount, 0) < 0:
                self._spp_voucher_reverse(payment)
                continue
            token, offline = voucher_lines.get(payment.uuid, (False, False))
            redemption = Redemption.search([("txn_uuid", "=", payment.uuid)], limit=1)
            if redemption.state in ("captured", "conflict"):
                pass  # this sync already applied it
            elif redemption.state == "authorized":
                self._spp_voucher_capture_hold(payment, redemption)
            elif token and (offline or redemption):
                # Accepted offline, or an online hold released (expired) before
                # the order could sync: the goods are gone, record what happened
                # (the latter under its own key, the UUID has its released row).
                txn_uuid = f"{payment.uuid}:late" if redemption else payment.uuid
                # Checked before it is recorded: the totals are without it.
                refusal = offline and self.config_id._spp_voucher_offline_refusal(
                    payment, self._spp_voucher_cashier()
                )
                redemption = self._spp_voucher_record_offline(payment, token, txn_uuid)
                if redemption and refusal:
                    redemption[:1]._spp_flag_limit(refusal)
                    self._spp_voucher_flag(
                        payment,
                        self.env._(
                            "Offline voucher payment accepted beyond a limit, "
                            "flagged: %s",
                            refusal,
                        ),
                    )
            else:
                raise UserError(
                    self.env._(
                        "The voucher payment of %(amount)s was not authorised "
                        "(hold %(state)s).",
                        amount=currency.format(payment.amount),
                        state=redemption.state or self.env._("missing"),
                    )
                )
            if redemption:
                self._spp_voucher_write(payment, redemption[:1])

    def _spp_voucher_cashier(self):
        """Who the ledger records for this order's offline lines: the user
        syncing it (the order's own user_id is what the browser sent)."""
        return self.user_id if self.env.su else self.env.user

    def _spp_voucher_flag(self, payment, reason):
        """A voucher line the ledger did not take as it came: the sale stands,
        the line says why and the order's chatter too."""
        payment.with_context(spp_voucher_capture=True).write(
            {"spp_voucher_sync_error": reason}
        )
        self.message_post(body=reason)
        _logger.info("POS order %s: voucher payment flagged: %s", self.id, reason)

    def _spp_voucher_capture_hold(self, payment, redemption):
        merchant = self.config_id.spp_merchant_id
        if redemption.merchant_id != merchant:
            raise UserError(
                self.env._("This voucher hold belongs to another merchant.")
            )
        if self.currency_id.compare_amounts(redemption.amount, payment.amount):
            raise UserError(
                self.env._(
                    "The voucher payment (%(paid)s) differs from its hold (%(held)s).",
                    paid=self.currency_id.format(payment.amount),
                    held=self.currency_id.format(redemption.amount),
                )
            )
        redemption._spp_capture()

    def _spp_voucher_record_offline(self, payment, token, txn_uuid):
        config = self.config_id
        try:
            with self.env.cr.savepoint():
                return (
                    self.env["spp.voucher"]
                    .sudo()
                    ._spp_record_offline(
                        token,
                        payment.amount,
                        txn_uuid,
                        config.spp_merchant_id,
                        channel="pos",
                        device=config.name,
                        cashier=self._spp_voucher_cashier(),
                        date=payment.payment_date,
                    )
                )
        except (UserError, ValidationError) as error:
            # A token the ledger refuses (bad signature, unknown key): keep the
            # sale, flag the payment and tell the order's followers.
            reason = str(error.args[0] if error.args else error)
            self._spp_voucher_flag(
                payment,
                self.env._("Offline voucher payment refused on sync: %s", reason),
            )
            return False

    def _spp_voucher_reverse(self, payment):
        """A refund line on the voucher method (Odoo's refund flow pays a
        refund order with a negative line) gives its amount back to the
        refunded order's voucher redemptions through the ledger, keyed on the
        line's UUID (a repeated sync reverses once), with the cashier's reason.
        What the ledger refuses (a redemption in a settlement being paid, a day
        later for a cashier, more than was redeemed) is flagged, never
        raised."""
        Reversal = self.env["spp.voucher.reversal"].sudo()
        done = Reversal.search([("key", "=like", f"{payment.uuid}%")], order="id")
        if done:
            self._spp_voucher_write(payment, done[-1].redemption_id)
            return
        redemptions = (
            self.refunded_order_id._spp_voucher_payments()
            .sudo()
            .spp_redemption_id.filtered(lambda r: r.state == "captured")
            .sorted("id")
        )
        reason = (
            payment.spp_voucher_reason or self.internal_note or ""
        ).strip() or self.env._("POS refund %s", self.name)
        left = Decimal(str(-payment.amount))
        reversed_ = self.env["spp.voucher.redemption"].sudo()
        try:
            with self.env.cr.savepoint():
                for index, redemption in enumerate(redemptions):
                    part = min(
                        left,
                        Decimal(str(redemption.amount))
                        - Decimal(str(redemption.reversed_amount)),
                    )
                    if part <= 0:
                        continue
                    key = payment.uuid if not index else f"{payment.uuid}:{index}"
                    # As the caller: the ledger checks who may reverse.
                    redemption.with_env(self.env)._spp_reverse(reason, part, key)
                    reversed_ |= redemption
                    left -= part
                    if not left:
                        break
                if left:
                    raise UserError(
                        self.env._(
                            "%(amount)s of this refund was not paid by voucher in "
                            "the refunded order: nothing was given back.",
                            amount=self.currency_id.format(float(left)),
                        )
                    )
        except (UserError, AccessError, ValidationError) as error:
            reason = str(error.args[0] if error.args else error)
            self._spp_voucher_flag(
                payment, self.env._("Voucher refund not reversed on sync: %s", reason)
            )
            return
        self._spp_voucher_write(payment, reversed_[-1:])

    def _spp_voucher_write(self, payment, redemption):
        voucher = redemption.voucher_id
        payment.with_context(spp_voucher_capture=True).write(
            {
                "spp_redemption_id": redemption.id,
                "spp_voucher_id": voucher.id,
                "spp_voucher_name": voucher.name,
                "spp_voucher_balance": voucher.balance,
                "transaction_id": str(redemption.id),
            }
        )

    def action_pos_order_cancel(self):
        res = super().action_pos_order_cancel()
        self.filtered(lambda o: o.state == "cancel")._spp_voucher_release()
        return res

    def _spp_voucher_release(self):
        uuids = self._spp_voucher_payments().mapped("uuid")
        if uuids:
            holds = (
                self.env["spp.voucher.redemption"]
                .sudo()
                .search([("txn_uuid", "in", uuids), ("state", "=", "authorized")])
            )
            for hold in holds:
                hold._spp_release()
