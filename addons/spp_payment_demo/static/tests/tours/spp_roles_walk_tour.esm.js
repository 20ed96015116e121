/* Copyright 2026 SPP Payments contributors
   License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
import {registry} from "@web/core/registry";

// The demo's main flow as its users live it (see test_roles_walk.py): each tour
// is one user's session, in their own browser login.
const CYCLE = "Walk cycle";
const PAYROLL = "Walk payroll";

function status(value) {
    return `.o_statusbar_status button.o_arrow_button_current[data-value="${value}"]`;
}

function menu(xmlid) {
    return {
        content: `Open ${xmlid}`,
        trigger: `[data-menu-xmlid="${xmlid}"]`,
        run: "click",
    };
}

function fromActivity(model, name) {
    return [
        {
            content: "Open my activities",
            trigger: '.o_menu_systray i[aria-label="Activities"]',
            run: "click",
        },
        {
            content: `A ${model} waits for my approval`,
            trigger: `.o-mail-ActivityGroup[data-model_name="${model}"]`,
            run: "click",
        },
        {
            content: `Open ${name}`,
            trigger: `.o_list_view .o_data_row td:contains("${name}")`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("spp_walk_officer_cycle", {
    url: "/odoo",
    steps: () => [
        {content: "The officer lands on the dashboard", trigger: ".spp_dashboard"},
        menu("spp_payment_base.menu_spp_programs"),
        menu("spp_payment_cycle.menu_spp_payment_cycle"),
        {content: "New cycle", trigger: ".o_list_button_add", run: "click"},
        {
            content: "Name it",
            trigger: '.o_field_widget[name="name"] input',
            run: `edit ${CYCLE}`,
        },
        {
            content: "Pick the demo program",
            trigger: '.o_field_widget[name="program_id"] input',
            run: "edit Demo Cash Transfer",
        },
        {
            // By its whole name: other demo addons add programs of their own.
            content: "The demo program is offered",
            trigger: ".o-autocomplete--dropdown-item a:contains(Demo Cash Transfer)",
            run: "click",
        },
        {
            content: "From",
            trigger: '.o_field_widget[name="date_start"] input',
            run: "edit 01/01/2031",
        },
        {
            content: "To",
            trigger: '.o_field_widget[name="date_end"] input',
            run: "edit 01/31/2031",
        },
        {
            content: "Fixed amount",
            trigger: '.o_field_widget[name="fixed_amount"] input',
            run: "edit 40",
        },
        {content: "Save", trigger: ".o_form_button_save", run: "click"},
        {
            content: "Submit the cycle",
            trigger: '.o_form_saved button[name="action_submit"]',
            run: "click",
        },
        {
            content: "It waits for approval",
            trigger: '.o_statusbar_status button.o_arrow_button_current[data-value="submitted"]',
        },
    ],
});

registry.category("web_tour.tours").add("spp_walk_manager_cycle", {
    url: "/odoo",
    steps: () => [
        ...fromActivity("spp.payment.cycle", CYCLE),
        {content: "Approve it", trigger: 'button[name="action_approve"]', run: "click"},
        {
            content: "It is approved",
            trigger: '.o_statusbar_status button.o_arrow_button_current[data-value="approved"]',
        },
    ],
});

registry.category("web_tour.tours").add("spp_walk_officer_payroll", {
    url: "/odoo",
    steps: () => [
        menu("spp_payment_base.menu_spp_payments"),
        menu("spp_payroll.menu_spp_payroll"),
        {content: "New payroll", trigger: ".o_list_button_add", run: "click"},
        {
            content: "Name it",
            trigger: '.o_field_widget[name="name"] input',
            run: `edit ${PAYROLL}`,
        },
        {
            content: "Pick the new cycle",
            trigger: '.o_field_widget[name="cycle_id"] input',
            run: `edit ${CYCLE}`,
        },
        {
            content: "The cycle is offered",
            trigger: `.o-autocomplete--dropdown-item a:contains(${CYCLE})`,
            run: "click",
        },
        {content: "Save", trigger: ".o_form_button_save", run: "click"},
        {
            content: "Generate its payments",
            trigger: '.o_form_saved button[name="action_generate"]',
            run: "click",
        },
        {
            content: "Payments are generated",
            // Exact text: ':contains("0")' would also refuse 10 or 20 payments.
            trigger: 'button[name="action_view_payments"] .o_stat_value:not(:text(0))',
        },
        {content: "Submit it", trigger: 'button[name="action_submit"]', run: "click"},
        {content: "It is submitted", trigger: status("submitted")},
    ],
});

registry.category("web_tour.tours").add("spp_walk_manager_payroll", {
    url: "/odoo",
    steps: () => [
        ...fromActivity("spp.payroll", PAYROLL),
        {content: "Approve it", trigger: 'button[name="action_approve"]', run: "click"},
        {content: "It is approved", trigger: status("approved")},
    ],
});

registry.category("web_tour.tours").add("spp_walk_finance_execute", {
    url: "/odoo",
    steps: () => [
        menu("spp_payment_base.menu_spp_payments"),
        menu("spp_payroll.menu_spp_payroll"),
        {
            content: `Open ${PAYROLL}`,
            trigger: `.o_list_view .o_data_row td:contains("${PAYROLL}")`,
            run: "click",
        },
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
    ],
});

registry.category("web_tour.tours").add("spp_walk_manager_dashboard", {
    url: "/odoo",
    steps: () => [
        {
            content: "The manager lands on the dashboard; payments were issued",
            trigger: ".spp_dashboard .spp_card_issued .spp_card_count",
            run: () => {
                const count = document.querySelector(".spp_card_issued .spp_card_count");
                if (!(parseInt(count.textContent, 10) > 0)) {
                    throw new Error(`issued: ${count.textContent}`);
                }
            },
        },
        {
            content: "The payroll states count the executed payroll",
            trigger: ".spp_dashboard .spp_payroll_executed .badge",
            run: () => {
                const badge = document.querySelector(".spp_payroll_executed .badge");
                if (!(parseInt(badge.textContent, 10) > 0)) {
                    throw new Error(`executed payrolls: ${badge.textContent}`);
                }
            },
        },
    ],
});

registry.category("web_tour.tours").add("spp_walk_manager_overview", {
    url: "/odoo",
    steps: () => [
        menu("spp_payment_base.menu_spp_payments"),
        menu("spp_payment_base.menu_spp_payment_status"),
        {
            content: "The overview lists payments with their FSP message column",
            trigger: ".o_list_view .o_data_row",
        },
    ],
});
