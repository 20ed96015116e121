/* Copyright 2026 SPP Payments contributors
   License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
import {registry} from "@web/core/registry";

const HEADER = "registrant_id,name,phone,national_id,amount,channel,destination,fsp\n";
const GOOD = "HH-0001,,,,50.25,digital,+254700000001,\n";
const NEW_PAYEE = ",Amina Otieno,+254711222333,,75.50,digital,+254711222333,manual bank\n";
const BAD_FILE = `${HEADER}${GOOD}HH-9999,,,,20,payment_point,,\n${NEW_PAYEE},Peter Kamau,,,30.005,payment_point,,\n`;
const FIXED_FILE = `${HEADER}${GOOD}${NEW_PAYEE},Peter Kamau,,,30.00,payment_point,,\n`;

// Puts a file in the dialog's file input, as choosing it in the browser would.
function upload(text, name) {
    return () => {
        const input = document.querySelector(".modal .o_field_binary input[type=file]");
        const files = new DataTransfer();
        files.items.add(new File([text], name, {type: "text/csv"}));
        input.files = files.files;
        input.dispatchEvent(new Event("change", {bubbles: true}));
    };
}

// A program officer opens a draft ad-hoc payroll, uploads a file with two bad
// rows, reads both problems, then uploads the fixed file.
registry.category("web_tour.tours").add("spp_payroll_adhoc_upload", {
    steps: () => [
        {
            content: "Open the upload wizard",
            trigger: "button[name=action_open_adhoc_import]",
            run: "click",
        },
        {
            content: "Choose the file with two bad rows",
            trigger: ".modal .o_field_binary",
            run: upload(BAD_FILE, "relief.csv"),
        },
        {
            content: "The file is chosen",
            trigger: ".modal .o_field_binary input.o_input:value(\"relief.csv\")",
        },
        {
            trigger: ".modal button[name=action_import]",
            run: "click",
        },
        {
            content: "Two problems, nothing written",
            trigger: ".modal .alert-danger:contains(2 problems)",
        },
        {
            content: "The unknown registrant is explained",
            trigger:
                ".modal .o_data_row:contains(no registrant has the ID 'HH-9999'):contains(registrant_id)",
        },
        {
            content: "The too precise amount is explained",
            trigger: ".modal .o_data_row:contains(more than 2 decimals):contains(amount)",
        },
        {
            content: "Choose the fixed file",
            trigger: ".modal .o_field_binary",
            run: upload(FIXED_FILE, "relief-fixed.csv"),
        },
        {
            trigger: ".modal .o_field_binary input.o_input:value(\"relief-fixed.csv\")",
        },
        {
            trigger: ".modal button[name=action_import]",
            run: "click",
        },
        {
            content: "The fixed file is accepted",
            trigger: ".modal .alert-success:contains(Uploaded)",
        },
        {
            trigger: ".modal .alert-success:contains(awaiting approval)",
        },
        {
            content: "Back to the payroll",
            trigger: ".modal button[name=action_close]",
            run: "click",
        },
        {
            content: "The payroll shows its new payees, ready to submit",
            trigger: ".o_notebook a:contains(New Payees)",
        },
        {
            trigger: ".o_form_view button[name=action_submit]",
        },
    ],
});
