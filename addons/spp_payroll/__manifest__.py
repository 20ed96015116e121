# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Payroll",
    "summary": "Set-based payroll generation, duplicate flags, dry run, maker-checker, "
    "execution through FSP providers in queue jobs, retries, undelivered payrolls",
    "version": "19.0.1.5.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payment_cycle", "queue_job"],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_payroll_rules.xml",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "wizards/spp_payroll_execute_wizard_views.xml",
        "views/spp_payroll_summary_templates.xml",
        "views/spp_payroll_rate_views.xml",
        "views/spp_payroll_views.xml",
        "views/spp_payment_views.xml",
        "report/spp_payroll_report.xml",
    ],
    "assets": {
        "web.assets_backend": ["spp_payroll/static/src/live/*"],
        "web.assets_tests": ["spp_payroll/static/tests/tours/*.js"],
    },
}
