# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Merchant Settlement",
    "summary": "Merchant settlement of voucher redemptions through an FSP",
    "version": "19.0.1.1.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_voucher", "spp_payment_file", "queue_job"],
    "data": [
        "security/spp_voucher_settlement_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence.xml",
        "views/spp_merchant_settlement_views.xml",
        "wizards/spp_reconciliation_import_views.xml",
    ],
}
