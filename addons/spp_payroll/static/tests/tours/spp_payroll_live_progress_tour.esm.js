/* Copyright 2026 SPP Payments contributors
   License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
import {registry} from "@web/core/registry";

// The finance officer watches a run (see test_browser.py): its jobs run in
// the background while the form is open, and the form follows them through
// Odoo's bus, with no reload of the page.
const PAYROLL = "Live Payroll";

function outcome(key) {
    const node = document.querySelector(
        `.o_spp_outcome[data-outcome="${key}"] .o_spp_outcome_count`
    );
    return node ? Number(node.textContent.trim()) : NaN;
}

registry.category("web_tour.tours").add("spp_payroll_live_progress", {
    steps: () => [
        {
            content: "Open the payroll",
            trigger: `.o_list_view .o_data_row td:contains("${PAYROLL}")`,
            run: "click",
        },
        {
            content: "The run has not sent anything yet",
            trigger: '.o_spp_payroll_progress .o_spp_run_chunks:contains("0 / 3")',
            run() {
                if (outcome("to_send") !== 5 || outcome("sent") !== 0) {
                    throw new Error(
                        `expected 5 to send and 0 sent, got ${outcome(
                            "to_send"
                        )} and ${outcome("sent")}`
                    );
                }
                // Gone if the page were reloaded.
                window.sppNotReloaded = true;
            },
        },
        {
            content: "The run ends while the form is open",
            trigger: '.o_spp_payroll_progress .o_spp_run_chunks:contains("3 / 3")',
            timeout: 60000,
        },
        {
            content: "Its counts moved, and the page was not reloaded",
            trigger: '.o_spp_payroll_progress .o_spp_run_chunks:contains("3 / 3")',
            run() {
                const current = document.querySelector(
                    ".o_statusbar_status button.o_arrow_button_current"
                );
                if (!current || current.dataset.value !== "executed") {
                    throw new Error(
                        `expected executed, got ${current && current.dataset.value}`
                    );
                }
                if (!window.sppNotReloaded) {
                    throw new Error("the page was reloaded");
                }
                if (outcome("to_send") !== 0 || outcome("sent") !== 5) {
                    throw new Error(
                        `expected 0 to send and 5 sent, got ${outcome(
                            "to_send"
                        )} and ${outcome("sent")}`
                    );
                }
            },
        },
    ],
});
