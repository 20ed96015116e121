# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: PPM Field App",
    "summary": "Offline app for payment point managers at /ppm: enrol, download, pay, sync signed events",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payroll_ppm"],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_ppm_app_rules.xml",
        "data/ir_sequence.xml",
        "views/spp_ppm_device_views.xml",
    ],
}
