// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import { _t } from "@web/core/l10n/translation";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { ConnectionLostError } from "@web/core/network/rpc";
import { PaymentInterface } from "@point_of_sale/app/utils/payment/payment_interface";
import { register_payment_method } from "@point_of_sale/app/services/pos_store";
import { makeAwaitable } from "@point_of_sale/app/utils/make_awaitable_dialog";
import { TextInputPopup } from "@point_of_sale/app/components/popups/text_input_popup/text_input_popup";
import { SelectionPopup } from "@point_of_sale/app/components/popups/selection_popup/selection_popup";
import { isToken, isTypedCode, verifyToken, VoucherTokenError } from "./voucher_token";

const { DateTime } = luxon;

/**
 * The voucher as a payment terminal: "Send" asks for the QR (a scanner types
 * it) or the typed code, or the beneficiary's ID card to list their vouchers;
 * the server holds the line's amount keyed on the line's UUID and the order's
 * sync captures it. Offline, a signed token is verified here and rides on the
 * line to the server.
 */
export class PaymentSppVoucher extends PaymentInterface {
    setup() {
        super.setup(...arguments);
        this.supports_reversals = true;
    }

    // The cashier types the amount first: a voucher may pay part of the sale.
    get fastPayments() {
        return false;
    }

    _line(uuid) {
        return this.pos.models["pos.payment"].find((line) => line.uuid === uuid);
    }

    _call(method, args) {
        return this.pos.data.call("pos.payment.method", method, [
            [this.payment_method_id.id],
            this.pos.session.id,
            ...args,
        ]);
    }

    _alert(body, title = _t("Voucher")) {
        this.env.services.dialog.add(AlertDialog, { title, body });
    }

    async sendPaymentRequest(uuid) {
        super.sendPaymentRequest(uuid);
        const line = this._line(uuid);
        if (line && line.amount < 0) {
            return this._acceptRefund(line);
        }
        if (!line || !(line.amount > 0)) {
            this._alert(_t("Enter the amount the voucher pays first."));
            return false;
        }
        const input = await makeAwaitable(this.env.services.dialog, TextInputPopup, {
            title: _t("Scan the voucher, type its code, or scan the beneficiary's ID"),
            placeholder: _t("Voucher QR, code or ID"),
        });
        const text = (input || "").trim();
        if (!text) {
            return false;
        }
        try {
            if (isToken(text) || isTypedCode(text)) {
                return await this._authorize(line, { code: text });
            }
            return await this._authorizeById(line, text);
        } catch (error) {
            if (error instanceof ConnectionLostError) {
                return this._acceptOffline(line, text);
            }
            throw error;
        }
    }

    /**
     * A refund (Odoo's refund flow: a negative line) gives the amount back
     * to the voucher that paid the refunded order. Nothing is asked of the
     * server now: the order's sync reverses the redemption through the ledger,
     * keyed on this line's UUID. The cashier says why.
     */
    async _acceptRefund(line) {
        const order = line.pos_order_id;
        const refunded = order.lines.map((l) => l.refunded_orderline_id?.order_id).find(Boolean);
        const paid = (refunded?.payment_ids || []).find(
            (p) => p.payment_method_id.id === this.payment_method_id.id && p.amount > 0 && p.spp_voucher_id
        );
        if (!paid) {
            this._alert(_t("The refunded order was not paid by voucher: refund it another way."));
            return false;
        }
        const input = await makeAwaitable(this.env.services.dialog, TextInputPopup, {
            title: _t("Why is the voucher payment given back?"),
            placeholder: _t("Reason of the refund"),
            startingValue: order.internal_note || "",
        });
        const reason = (input || "").trim();
        if (!reason) {
            this._alert(_t("A voucher refund needs a reason."));
            return false;
        }
        line.spp_voucher_reason = reason;
        line.spp_voucher_id = paid.spp_voucher_id;
        line.spp_voucher_name = paid.spp_voucher_name;
        // What it will be once synced; the server answers the exact balance.
        line.spp_voucher_balance = this.pos.currency.round((paid.spp_voucher_balance || 0) - line.amount);
        line.spp_voucher_token = false;
        line.spp_voucher_offline = false;
        line.transaction_id = false;
        return true;
    }

    async _authorize(line, { code = false, voucherId = false, idNumber = false }) {
        const answer = await this._call("spp_voucher_authorize", [
            code,
            line.amount,
            line.uuid,
            voucherId,
            idNumber,
        ]);
        if (!answer.ok) {
            this._alert(answer.error);
            return false;
        }
        line.transaction_id = String(answer.redemption_id);
        line.spp_voucher_id = answer.voucher_id;
        line.spp_voucher_name = answer.voucher_name;
        line.spp_voucher_balance = answer.balance;
        line.spp_voucher_offline = false;
        // Carried to the sync (never stored): lets the server record the sale
        // should the hold expire before the order reaches it.
        line.spp_voucher_token = code && isToken(code) ? code : false;
        if (line.amount !== answer.amount) {
            line.setAmount(answer.amount);
        }
        return true;
    }

    async _authorizeById(line, idNumber) {
        const answer = await this._call("spp_voucher_partner_vouchers", [idNumber]);
        if (!answer.ok) {
            this._alert(answer.error);
            return false;
        }
        if (!answer.vouchers.length) {
            this._alert(_t("This beneficiary has no voucher to spend here."));
            return false;
        }
        const voucherId = await makeAwaitable(this.env.services.dialog, SelectionPopup, {
            title: _t("Vouchers of the beneficiary"),
            list: answer.vouchers.map((v) => ({
                id: v.id,
                item: v.id,
                label: v.name,
                description: _t("%(balance)s left, valid until %(until)s", {
                    balance: this.env.utils.formatCurrency(v.balance),
                    until: v.valid_until,
                }),
            })),
        });
        if (!voucherId) {
            return false;
        }
        return this._authorize(line, { voucherId, idNumber });
    }

    /** What this device already took from a voucher (any order it holds). */
    _usedLocally(voucherId, except) {
        return this.pos.models["pos.payment"]
            .filter(
                (l) =>
                    l !== except &&
                    l.spp_voucher_id === voucherId &&
                    l.payment_status !== "reversed"
            )
            .reduce((sum, l) => sum + (l.amount || 0), 0);
    }

    /** Offline-accepted vouchers on orders not synced yet. */
    _offlineUnsynced(except) {
        return this.pos.models["pos.payment"]
            .filter(
                (l) =>
                    l !== except &&
                    l.spp_voucher_offline &&
                    typeof l.pos_order_id?.id !== "number"
            )
            .reduce((sum, l) => sum + (l.amount || 0), 0);
    }

    async _acceptOffline(line, text) {
        const config = this.pos.config;
        if (!config.spp_voucher_offline) {
            this._alert(_t("The server cannot be reached and this till takes no voucher offline."));
            return false;
        }
        if (!isToken(text)) {
            this._alert(_t("Offline, only a voucher's QR code can be checked: scan it."));
            return false;
        }
        let payload;
        try {
            payload = await verifyToken(text, config._spp_voucher_keys);
        } catch (error) {
            if (error instanceof VoucherTokenError) {
                this._alert(_t("This voucher cannot be verified: %s.", error.message));
                return false;
            }
            throw error;
        }
        const round = (x) => this.pos.currency.round(x);
        if (payload.c !== this.pos.currency.name) {
            this._alert(_t("This voucher is in %s.", payload.c));
            return false;
        }
        if (payload.e < DateTime.now().toISODate()) {
            this._alert(_t("This voucher expired on %s.", payload.e));
            return false;
        }
        const left = round(parseFloat(payload.a) - this._usedLocally(payload.i, line));
        if (round(line.amount - left) > 0) {
            this._alert(
                _t("Offline, this voucher has at most %s left on this till.", this.env.utils.formatCurrency(left))
            );
            return false;
        }
        const limit = config.spp_voucher_offline_limit || 0;
        if (round(this._offlineUnsynced(line) + line.amount - limit) > 0) {
            this._alert(_t("This till's offline voucher limit is reached; wait for the connection."));
            return false;
        }
        line.spp_voucher_token = text;
        line.spp_voucher_offline = true;
        line.spp_voucher_id = payload.i;
        line.spp_voucher_name = _t("Voucher #%s", payload.i);
        line.spp_voucher_balance = round(left - line.amount);
        line.transaction_id = false;
        return true;
    }

    async _release(line) {
        if (!line || line.spp_voucher_offline || !line.transaction_id) {
            return true; // nothing held on the server
        }
        try {
            await this._call("spp_voucher_release", [line.uuid]);
        } catch (error) {
            if (!(error instanceof ConnectionLostError)) {
                throw error;
            }
            // Offline: the hold expires on the server (the ledger's cron).
        }
        return true;
    }

    async sendPaymentCancel(order, uuid) {
        super.sendPaymentCancel(order, uuid);
        return this._release(this._line(uuid));
    }

    async sendPaymentReversal(uuid) {
        super.sendPaymentReversal(uuid);
        const line = this._line(uuid);
        await this._release(line);
        if (line) {
            line.spp_voucher_token = false;
            line.spp_voucher_offline = false;
            line.spp_voucher_balance = 0;
        }
        return true;
    }
}

register_payment_method("spp_voucher", PaymentSppVoucher);
