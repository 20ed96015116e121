# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Payment Point Payrolls",
    "summary": "Cash payrolls grouped by payment point, split by the carry limit, "
    "with PPM cash floats",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_point", "spp_payment_reconciliation"],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_payroll_ppm_rules.xml",
        "views/spp_payroll_views.xml",
        "views/spp_ppm_float_views.xml",
        "report/spp_payroll_point_report.xml",
    ],
}
