# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Ad-hoc Payrolls",
    "summary": "Ad-hoc payrolls from a CSV or XLSX upload, checked whole",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payroll"],
    "data": [
        "security/spp_payroll_adhoc_security.xml",
        "security/ir.model.access.csv",
        "views/spp_payroll_views.xml",
        "wizards/spp_payroll_adhoc_import_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["spp_payroll_adhoc/static/tests/tours/*.js"],
    },
}
