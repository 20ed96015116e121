# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Books Demo",
    "summary": "Demo of money in the books: a donor-funded USD program paying a "
    "KES bank at a frozen rate, its camt.053 statement, its accounting report",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": [
        "spp_payment_demo",
        "spp_program_fund",
        "spp_payment_file",
        "spp_payment_account",
        "spp_payroll_ppm_account",
        "spp_voucher_account",
    ],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_books_demo_rules.xml",
        "wizards/spp_demo_statement_views.xml",
    ],
}
