// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
/* global posmodel */
import { registry } from "@web/core/registry";
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as OfflineUtil from "@point_of_sale/../tests/generic_helpers/offline_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";

// The demo's cashier at Till 1, as issue 12's acceptance walks it: groceries
// paid part by voucher, the rest in cash; the receipt prints the voucher's
// balance left. Online the card's typed code does, offline its signed QR
// (verified in the browser). The test puts what is scanned or typed in the
// till's receipt header (the tour reads it from the loaded config) and picks
// a demo voucher of 50.70 (the demo cycle's 50 and its 0.70 fee credit).
const scanned = () => posmodel.config.receipt_header;

function payPartByVoucher(amount, balance) {
    return [
        ProductScreen.clickPayButton(),
        PaymentScreen.clickPaymentMethod("Voucher"),
        PaymentScreen.enterPaymentLineAmount("Voucher", amount),
        {
            content: "send the voucher request",
            trigger: ".paymentlines .send_payment_request",
            run: "click",
        },
        {
            content: "scan the card's QR or type its code",
            trigger: ".modal textarea",
            run: async (helpers) => helpers.edit(scanned()),
        },
        {
            content: "apply",
            trigger: ".modal .btn-primary:contains(Apply)",
            run: "click",
        },
        {
            content: "the voucher line is paid",
            trigger: ".paymentlines .electronic_status:contains(Payment Successful)",
        },
        {
            content: `the payment line shows the voucher's balance left, ${balance}`,
            trigger: `.paymentline.selected .spp-voucher-line-balance:contains(${balance})`,
        },
        PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
        PaymentScreen.clickValidate(),
        ReceiptScreen.isShown(),
        {
            content: `the receipt shows the voucher's balance left, ${balance}`,
            trigger: `.receipt-screen .spp-voucher-balance:contains(${balance})`,
        },
    ].flat();
}

registry.category("web_tour.tours").add("spp_voucher_demo_till", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.addOrderline("Maize flour 2 kg", "2"),
            ProductScreen.addOrderline("Cooking oil 1 L", "1"),
            payPartByVoucher("30", "20.70"),
            Chrome.endTour(),
        ].flat(),
});

registry.category("web_tour.tours").add("spp_voucher_demo_till_offline", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            OfflineUtil.setOfflineMode(),
            ProductScreen.addOrderline("Maize flour 2 kg", "2"),
            payPartByVoucher("20.5", "30.20"),
            OfflineUtil.setOnlineMode(),
            {
                content: "back online, the till syncs its orders",
                trigger: "body",
                run: async () => {
                    await posmodel.syncAllOrders();
                    const order = posmodel.models["pos.order"].find((o) =>
                        o.payment_ids.some((p) => p.spp_voucher_offline)
                    );
                    if (!order?.isSynced) {
                        throw new Error("the offline order did not sync");
                    }
                },
            },
            Chrome.endTour(),
        ].flat(),
});

