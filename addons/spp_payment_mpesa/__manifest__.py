# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: M-Pesa",
    "summary": "Pay to M-Pesa wallets through Safaricom Daraja B2C v3: one request "
    "per beneficiary keyed by the attempt, result and timeout callbacks, "
    "transaction status queries",
    "version": "19.0.1.2.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_reconciliation"],
    "external_dependencies": {"python": ["cryptography"]},
    "data": [
        "security/ir.model.access.csv",
        "security/spp_mpesa_rules.xml",
        "views/spp_fsp_views.xml",
    ],
}
