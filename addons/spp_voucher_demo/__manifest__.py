# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Voucher Demo",
    "summary": "Demo of the voucher walk: a voucher payroll to approve, a simulated "
    "WhatsApp, a shop with two tills, a service point, a settlement bank file",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": [
        "spp_payment_demo",
        "spp_voucher_delivery",
        "spp_voucher_settlement",
        "spp_voucher_pos",
        "spp_payment_file",
    ],
    "data": [
        "data/ir_cron.xml",
        "views/spp_voucher_demo_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "spp_voucher_demo/static/tests/tours/**/*",
        ],
    },
}
