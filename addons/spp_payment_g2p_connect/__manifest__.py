# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: G2P Connect",
    "summary": "Disburse through any G2P Connect v1.0.0 receiver: /disburse with "
    "idempotent message and reference ids, signed /on-disburse callbacks, status "
    "queries, validated against the official OpenAPI",
    "version": "19.0.1.1.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_reconciliation"],
    "external_dependencies": {"python": ["jsonschema", "PyYAML", "cryptography"]},
    "data": ["views/spp_fsp_views.xml"],
}
