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
import * as TicketScreen from "@point_of_sale/../tests/pos/tours/utils/ticket_screen_util";

// The test puts the voucher's signed token (what a QR scanner types) in the
// till's receipt header: the tour reads it from the loaded config.
const scannedToken = () => posmodel.config.receipt_header;

function voucherLine(amount, input) {
    return [
        PaymentScreen.clickPaymentMethod("Voucher"),
        PaymentScreen.enterPaymentLineAmount("Voucher", amount),
        {
            content: "send the voucher request",
            trigger: ".paymentlines .send_payment_request",
            run: "click",
        },
        {
            content: "scan or type the voucher",
            trigger: ".modal textarea",
            run: async (helpers) =>
                helpers.edit(typeof input === "function" ? input() : input),
        },
        {
            content: "apply",
            trigger: ".modal .btn-primary:contains(Apply)",
            run: "click",
        },
    ].flat();
}

const accepted = (balance) => [
    {
        content: "the voucher line is paid",
        trigger: ".paymentlines .electronic_status:contains(Payment Successful)",
    },
    {
        content: `the voucher's balance left is ${balance}`,
        trigger: `.paymentline.selected .spp-voucher-line-balance:contains(${balance})`,
    },
];

const receiptShowsBalance = (balance) => [
    ReceiptScreen.isShown(),
    {
        content: `the receipt shows the voucher's balance left, ${balance}`,
        trigger: `.receipt-screen .spp-voucher-balance:contains(${balance})`,
    },
].flat();

const start = () => [Chrome.startPoS(), Dialog.confirm("Open Register")].flat();

registry.category("web_tour.tours").add("spp_voucher_pos_voucher_and_cash", {
    steps: () =>
        [
            start(),
            ProductScreen.addOrderline("Rice", "2"),
            ProductScreen.clickPayButton(),
            voucherLine("40", "ABCDE-12345"),
            accepted("60.00"),
            PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
            PaymentScreen.clickValidate(),
            receiptShowsBalance("60.00"),
            Chrome.endTour(),
        ].flat(),
});

registry.category("web_tour.tours").add("spp_voucher_pos_partial", {
    steps: () =>
        [
            start(),
            ProductScreen.addOrderline("Rice", "1"),
            ProductScreen.clickPayButton(),
            // The voucher pays it all: the till validates by itself
            // (auto_validate_terminal_payment).
            voucherLine("30", scannedToken),
            receiptShowsBalance("70.00"),
            Chrome.endTour(),
        ].flat(),
});

registry.category("web_tour.tours").add("spp_voucher_pos_second_refused", {
    steps: () =>
        [
            start(),
            ProductScreen.addOrderline("Rice", "1"),
            ProductScreen.clickPayButton(),
            voucherLine("30", "ABCDE-12345"),
            {
                content: "the spent voucher is refused",
                trigger: ".modal:not(:has(textarea)) .modal-title:contains(Voucher)",
            },
            Dialog.confirm(),
            {
                content: "the voucher line waits for a retry",
                trigger: ".paymentlines .electronic_status:contains(Transaction cancelled)",
            },
            PaymentScreen.clickPaymentlineDelButton("Voucher", "30.00"),
            PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            Chrome.endTour(),
        ].flat(),
});

function offlineSaleSyncedLater(balance) {
    return [
        start(),
        OfflineUtil.setOfflineMode(),
        ProductScreen.addOrderline("Rice", "2"),
        ProductScreen.clickPayButton(),
        voucherLine("45", scannedToken),
        accepted(balance),
        PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
        PaymentScreen.clickValidate(),
        receiptShowsBalance(balance),
        OfflineUtil.setOnlineMode(),
        {
            content: "back online, the till syncs its orders",
            trigger: "body",
            run: async () => {
                await posmodel.syncAllOrders();
                const order = posmodel.models["pos.order"].find(
                    (o) => o.payment_ids.some((p) => p.spp_voucher_offline)
                );
                if (!order?.isSynced) {
                    throw new Error("the offline order did not sync");
                }
            },
        },
        Chrome.endTour(),
    ].flat();
}

registry.category("web_tour.tours").add("spp_voucher_pos_offline", {
    steps: () => offlineSaleSyncedLater("55.00"),
});

// The voucher was spent elsewhere meanwhile: this till cannot know it, the
// sale is accepted offline and the server flags the double spend on sync.
registry.category("web_tour.tours").add("spp_voucher_pos_offline_conflict", {
    steps: () => offlineSaleSyncedLater("15.00"),
});

// Sold by voucher, then refunded in the same session: the refund's negative
// voucher line asks no hold, only a reason; the sync gives the balance back.
registry.category("web_tour.tours").add("spp_voucher_pos_refund", {
    steps: () =>
        [
            start(),
            ProductScreen.addOrderline("Rice", "1"),
            ProductScreen.clickPayButton(),
            voucherLine("30", scannedToken),
            receiptShowsBalance("70.00"),
            ReceiptScreen.clickNextOrder(),
            ProductScreen.clickRefund(),
            TicketScreen.selectOrder("001"),
            ProductScreen.clickNumpad("1"),
            TicketScreen.confirmRefund(),
            PaymentScreen.isShown(),
            PaymentScreen.totalIs("-30.00"),
            PaymentScreen.clickPaymentMethod("Voucher", true, { amount: "-30.00" }),
            {
                content: "send the voucher refund",
                trigger: ".send_refund_request",
                run: "click",
            },
            {
                content: "the cashier says why",
                trigger: ".modal textarea",
                run: "edit Torn bag, rice spilt",
            },
            {
                content: "apply",
                trigger: ".modal .btn-primary:contains(Apply)",
                run: "click",
            },
            // Accepted without a hold, the refund pays it all: the till
            // validates by itself and the sync gives the balance back.
            receiptShowsBalance("100.00"),
            Chrome.endTour(),
        ].flat(),
});
