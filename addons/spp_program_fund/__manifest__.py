# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Program Funds",
    "summary": "Donor contributions and cycle budgets; payrolls approved only "
    "within the fund left",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payroll"],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_program_fund_rules.xml",
        "views/spp_program_contribution_views.xml",
        "views/spp_program_views.xml",
    ],
}
