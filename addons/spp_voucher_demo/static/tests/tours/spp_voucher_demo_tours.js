// Copyright 2026 SPP Payments contributors
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
/* global posmodel */
import { registry } from "@web/core/registry";
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";

// The demo's cashier at Till 1, as issue 12's acceptance walks it: groceries
// paid part by voucher (the code typed from the printed card), the rest in
// cash; the receipt prints the voucher's balance left. The test puts the
// card's code in the till's receipt header and the expected balance in its
// footer: the tour reads them from the loaded config.
const cardCode = () => posmodel.config.receipt_header;
const balanceLeft = () => posmodel.config.receipt_footer;

registry.category("web_tour.tours").add("spp_voucher_demo_till", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.addOrderline("Maize flour 2 kg", "2"),
            ProductScreen.addOrderline("Cooking oil 1 L", "1"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Voucher"),
            PaymentScreen.enterPaymentLineAmount("Voucher", "30"),
            {
                content: "send the voucher request",
                trigger: ".paymentlines .send_payment_request",
                run: "click",
            },
            {
                content: "type the code printed on the card",
                trigger: ".modal textarea",
                run: async (helpers) => helpers.edit(cardCode()),
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
                content: "the payment line shows the voucher's balance left",
                trigger: ".paymentline.selected .spp-voucher-line-balance",
                run: () => {
                    const shown = document.querySelector(
                        ".paymentline.selected .spp-voucher-line-balance"
                    ).textContent;
                    if (!shown.includes(balanceLeft())) {
                        throw new Error(`balance left ${balanceLeft()} not in ${shown}`);
                    }
                },
            },
            PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            {
                content: "the receipt shows the voucher's balance left",
                trigger: ".receipt-screen .spp-voucher-balance",
                run: () => {
                    const shown = document.querySelector(
                        ".receipt-screen .spp-voucher-balance"
                    ).textContent;
                    if (!shown.includes(balanceLeft())) {
                        throw new Error(`balance left ${balanceLeft()} not in ${shown}`);
                    }
                },
            },
            Chrome.endTour(),
        ].flat(),
});
