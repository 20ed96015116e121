/* Copyright 2026 SPP Payments contributors
   License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
import {registry} from "@web/core/registry";

// A finance manager logs in and lands on the dashboard (no click: it is home),
// reads the paid figure, filters by FSP, opens the payments counted, comes back.
registry.category("web_tour.tours").add("spp_payment_dashboard_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The dashboard is the landing page",
            trigger: ".spp_dashboard .spp_card_paid .spp_card_count:contains(3)",
        },
        {
            content: "The payroll states are listed",
            trigger: ".spp_dashboard .spp_payroll_states",
        },
        {
            content: "Both FSPs have a success rate",
            trigger: ".spp_dashboard .spp_fsp_rate:contains(Mobile Wallet) .spp_rate:contains(50)",
        },
        {
            content: "Filter on the mobile wallet",
            trigger: ".spp_dashboard select.spp_filter_fsp_id",
            run: "selectByLabel Mobile Wallet",
        },
        {
            content: "Only its paid payment is left",
            trigger: ".spp_dashboard .spp_card_paid .spp_card_count:contains(1)",
        },
        {
            content: "Open the paid payments",
            trigger: ".spp_dashboard .spp_card_paid",
            run: "click",
        },
        {
            content: "The list shows the payment counted",
            trigger: ".o_list_view .o_data_row",
            run: () => {
                const rows = document.querySelectorAll(".o_list_view .o_data_row");
                if (rows.length !== 1) {
                    throw new Error(`expected 1 paid payment, got ${rows.length}`);
                }
            },
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb a:contains(Payments Dashboard)",
            run: "click",
        },
        {
            content: "The dashboard is shown again (the run keeps its screenshot)",
            trigger: ".spp_dashboard .spp_card_paid .spp_card_count:contains(3)",
        },
    ],
});
