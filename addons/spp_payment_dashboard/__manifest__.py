# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Dashboard",
    "summary": "The suite's home: payrolls, amounts, FSP success, approvals and alerts",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_reconciliation", "web"],
    "data": [
        "views/spp_payment_dashboard_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "spp_payment_dashboard/static/src/dashboard/*",
        ],
        "web.assets_tests": [
            "spp_payment_dashboard/static/tests/tours/*",
        ],
    },
}
