# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: File Connector",
    "summary": "Payment instruction files (CSV, XLSX, ISO 20022 pain.001) with "
    "fingerprints, manual CSV/XLSX reconciliation, pain.002 and camt.054 returns, "
    "camt.053/camt.052 statements",
    "version": "19.0.1.7.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_reconciliation", "queue_job"],
    "external_dependencies": {"python": ["openpyxl", "xlsxwriter", "lxml"]},
    "data": [
        "security/ir.model.access.csv",
        "security/spp_payment_file_rules.xml",
        "views/spp_fsp_views.xml",
        "views/spp_payment_file_views.xml",
        "views/spp_fsp_statement_views.xml",
        "wizards/spp_reconciliation_import_views.xml",
        "views/spp_payment_file_import_job_views.xml",
        "report/spp_payroll_report.xml",
    ],
}
