# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Approval",
    "summary": "Maker-checker for any model: N of M approvals, amount tiers, reviews, "
    "reject with a reason, segregation of duties on every path",
    "version": "19.0.1.1.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["base", "mail"],
    "data": [
        "security/spp_approval_security.xml",
        "security/ir.model.access.csv",
        "security/spp_approval_rules.xml",
        "data/mail_activity_type_data.xml",
        "views/spp_approval_views.xml",
    ],
    "pre_init_hook": "pre_init_hook",
}
