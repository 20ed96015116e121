/* Copyright 2026 SPP Payments contributors
   License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
import {registry} from "@web/core/registry";

// A Finance Manager opens a payroll and asks for its audit Excel: a large one
// (the test lowers the threshold) is queued as a job and its record shows it,
// then follows the job through Odoo's bus until the file is ready.
registry.category("web_tour.tours").add("spp_payment_audit_export", {
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
            content: "Open the payroll",
            trigger: '.o_list_view .o_data_row td:contains("Audit Payroll")',
            run: "click",
        },
        {
            content: "Ask for the audit Excel",
            trigger: 'button[name="action_spp_audit_export"]',
            run: "click",
        },
        {
            content: "The export is queued as a job",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Queued")',
        },
        {
            content: "It counts the payroll's payments",
            trigger: '.o_field_widget[name="payment_total"]:contains("5")',
        },
        {
            content: "and shows its progress",
            trigger: '.o_field_widget[name="progress"] .o_progressbar',
            run() {
                // Gone if the page were reloaded.
                window.sppNotReloaded = true;
            },
        },
        {
            content: "The job runs: the form follows it by itself, to the file",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Done")',
            timeout: 60000,
        },
        {
            content: "The file can be downloaded, and the page was not reloaded",
            trigger: 'button[name="action_download"]',
            run() {
                if (!window.sppNotReloaded) {
                    throw new Error("the page was reloaded");
                }
            },
        },
    ],
});
