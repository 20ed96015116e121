# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Accounting",
    "summary": "Summarised journal entries for payrolls: program fund to FSP "
    "clearing on execution, paid, returned and reversed on reconciliation, "
    "overpayment receivables; a report tying the ledger to the payrolls",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["account", "spp_payroll", "spp_payment_reconciliation"],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_payment_account_rules.xml",
        "views/account_move_views.xml",
        "views/spp_program_views.xml",
        "views/spp_fsp_views.xml",
        "views/res_company_views.xml",
        "views/spp_payroll_views.xml",
        "views/spp_reconciliation_views.xml",
        "views/spp_payment_views.xml",
        "wizards/spp_account_report_views.xml",
    ],
}
