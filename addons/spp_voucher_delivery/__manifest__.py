# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Voucher Delivery",
    "summary": "Printable voucher cards and sending by SMS or WhatsApp",
    "version": "19.0.1.1.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_voucher", "queue_job"],
    "external_dependencies": {"python": ["cryptography", "qrcode"]},
    "data": [
        "security/spp_voucher_delivery_security.xml",
        "security/ir.model.access.csv",
        "report/voucher_cards.xml",
        "views/spp_voucher_delivery_views.xml",
        "wizards/spp_voucher_send_views.xml",
    ],
}
