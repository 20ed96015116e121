/* Copyright 2026 SPP Payments contributors
   License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
import {registry} from "@web/core/registry";

// A logged-in user opens the Payments app, its Payments menu and the payroll list.
registry.category("web_tour.tours").add("spp_payroll_list", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Payments app",
            trigger: '.o_app[data-menu-xmlid="spp_payment_base.menu_spp_root"]',
            run: "click",
        },
        {
            content: "Open the Payments menu",
            trigger: '[data-menu-xmlid="spp_payment_base.menu_spp_payments"]',
            run: "click",
        },
        {
            content: "Open the payrolls",
            trigger: '[data-menu-xmlid="spp_payroll.menu_spp_payroll"]',
            run: "click",
        },
        {
            content: "The approved payroll is listed",
            trigger: '.o_list_view .o_data_row:contains("Tour Payroll")',
        },
    ],
});
