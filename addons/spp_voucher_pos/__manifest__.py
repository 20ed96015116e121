# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Vouchers at Point of Sale",
    "summary": "Voucher payment method at Odoo POS, online and offline",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_voucher", "point_of_sale"],
    "data": [
        "views/pos_config_views.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": [
            "spp_voucher_pos/static/src/**/*",
        ],
        "web.assets_tests": [
            "spp_voucher_pos/static/tests/tours/**/*",
        ],
    },
}
