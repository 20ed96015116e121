# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Mifos Payment Hub EE",
    "summary": "Pay through Mifos Payment Hub EE bulk batches: idempotent CSV "
    "batches to /batchtransactions, split by size and by PHEE's duplicate rule, "
    "outcomes polled from the operations API",
    "version": "19.0.1.1.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_reconciliation", "queue_job"],
    "data": ["views/spp_fsp_views.xml"],
}
