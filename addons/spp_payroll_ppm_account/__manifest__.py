# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: PPM Floats in Accounting",
    "summary": "PPM cash floats issued, paid out and returned posted as "
    "summarised entries, one per float; the accounting report ties them",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_account", "spp_payroll_ppm"],
    "auto_install": True,
    "data": [
        "views/spp_program_views.xml",
        "views/spp_ppm_float_views.xml",
        "views/account_move_views.xml",
    ],
}
