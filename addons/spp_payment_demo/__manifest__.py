# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Demo Data",
    "summary": "Generate N demo households, a program, file and simulated API FSPs "
    "and one user per role, set-based (1,000,000 registrants in minutes)",
    "version": "19.0.1.1.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": [
        "spp_payment_reconciliation",
        "spp_payment_file",
        "spp_payment_g2p_connect",
        "spp_payment_mpesa",
        "spp_payment_phee",
        "spp_ppm_app",
        "spp_payroll_adhoc",
        "spp_payment_dashboard",
        "spp_payment_audit",
    ],
    "external_dependencies": {"python": ["cryptography"]},
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "wizards/spp_demo_generator_wizard_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "spp_payment_demo/static/tests/tours/*",
        ],
    },
}
