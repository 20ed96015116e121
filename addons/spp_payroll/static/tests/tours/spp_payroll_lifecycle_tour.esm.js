/* Copyright 2026 SPP Payments contributors
   License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
import {registry} from "@web/core/registry";

// A payroll's life as three users live it (see test_browser.py): the officer
// submits it, the manager approves it from the activity the submission gave
// them, the finance officer executes it and sees it executed.
const PAYROLL = "Lifecycle Payroll";

function status(value) {
    return `.o_statusbar_status button.o_arrow_button_current[data-value="${value}"]`;
}

function openPayroll() {
    return [
        {
            content: "Open the payroll",
            trigger: `.o_list_view .o_data_row td:contains("${PAYROLL}")`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("spp_payroll_lifecycle_submit", {
    steps: () => [
        ...openPayroll(),
        {content: "It is a draft", trigger: status("draft")},
        {
            content: "Submit it for approval",
            trigger: 'button[name="action_submit"]',
            run: "click",
        },
        {content: "It is submitted", trigger: status("submitted")},
    ],
});

registry.category("web_tour.tours").add("spp_payroll_lifecycle_approve", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open my activities",
            trigger: '.o_menu_systray i[aria-label="Activities"]',
            run: "click",
        },
        {
            content: "The payroll waits for my approval",
            trigger: '.o-mail-ActivityGroup[data-model_name="spp.payroll"]',
            run: "click",
        },
        ...openPayroll(),
        {content: "It is submitted", trigger: status("submitted")},
        {
            content: "Approve it",
            trigger: 'button[name="action_approve"]',
            run: "click",
        },
        {content: "It is approved", trigger: status("approved")},
    ],
});

registry.category("web_tour.tours").add("spp_payroll_lifecycle_execute", {
    steps: () => [
        ...openPayroll(),
        {content: "It is approved", trigger: status("approved")},
        {
            content: "Execute it",
            trigger: 'button[name="action_open_execute_wizard"]',
            run: "click",
        },
        {
            content: "Send the payments",
            trigger: '.modal button[name="action_confirm"]',
            run: "click",
        },
        {content: "It is executed", trigger: status("executed")},
        {
            content: "Its payments are counted in the smart buttons",
            trigger: 'button[name="action_view_payments"] .o_stat_value:contains("5")',
        },
    ],
});
