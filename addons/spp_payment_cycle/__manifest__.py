# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Payment Cycles",
    "summary": "Payment cycles with entitlement rules, caps, back payments and "
    "maker-checker approval",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_base"],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_cycle_rules.xml",
        "views/spp_payment_cycle_views.xml",
    ],
}
