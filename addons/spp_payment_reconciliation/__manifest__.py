# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Reconciliation",
    "summary": "Reconciliation batches and lines from any source (file, API pull, "
    "payment point sync), accepted by a checker and applied in bulk",
    "version": "19.0.1.2.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payroll", "queue_job"],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_reconciliation_rules.xml",
        "data/queue_job_data.xml",
        "views/spp_reconciliation_views.xml",
        "views/spp_payroll_views.xml",
    ],
    "pre_init_hook": "pre_init_hook",
}
