# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Audit and Reports",
    "summary": "Streamed Excel audit export of payments and attempts, payment "
    "history of registrants and households, donor reports",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payroll", "spp_payment_reconciliation"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/ir.model.access.csv",
        "security/spp_payment_audit_rules.xml",
        "data/queue_job_data.xml",
        "data/ir_config_parameter.xml",
        "views/spp_payment_audit_export_views.xml",
        "wizards/spp_payment_donor_report_views.xml",
        "views/spp_payroll_views.xml",
        "views/res_partner_views.xml",
        "report/spp_payment_history_report.xml",
        "report/spp_payment_donor_report.xml",
    ],
    "assets": {
        "web.assets_tests": ["spp_payment_audit/static/tests/tours/*.js"],
    },
}
