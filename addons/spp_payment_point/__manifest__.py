# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Payment Points",
    "summary": "Payment points and their managers: criteria, imports, maker-checker",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payroll"],
    "data": [
        "security/spp_payment_point_security.xml",
        "security/ir.model.access.csv",
        "views/spp_payment_point_views.xml",
        "views/spp_payment_point_wizard_views.xml",
    ],
}
