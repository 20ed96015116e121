# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Vouchers",
    "summary": "Vouchers with signed QR codes, merchants, a locked ledger",
    "version": "19.0.1.1.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payroll"],
    "data": [
        "security/spp_voucher_security.xml",
        "security/ir.model.access.csv",
        "data/spp_voucher_cron.xml",
        "views/spp_voucher_views.xml",
        "views/spp_merchant_views.xml",
        "views/spp_voucher_id_redeem_views.xml",
        "views/spp_payroll_views.xml",
        "views/spp_voucher_menus.xml",
    ],
}
