# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Vouchers in Accounting",
    "summary": "Vouchers issued, released and settled to merchants posted as "
    "summarised entries; the accounting report ties them",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_account", "spp_voucher", "spp_voucher_settlement"],
    "auto_install": True,
    "data": [
        "views/spp_program_views.xml",
        "views/spp_merchant_settlement_views.xml",
        "views/spp_voucher_views.xml",
        "views/account_move_views.xml",
    ],
}
