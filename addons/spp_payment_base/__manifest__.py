# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: Base",
    "summary": "Registry-lite, programs, FSPs, payments with their attempts and "
    "events, the callback inbox and connector framework, roles",
    "version": "19.0.1.8.1",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "application": True,
    "depends": ["base", "mail", "queue_job", "spp_approval"],
    "external_dependencies": {"python": ["spp-payment-core"]},
    "data": [
        "security/spp_security.xml",
        "security/ir.model.access.csv",
        "security/spp_rules.xml",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "data/queue_job_data.xml",
        "views/spp_menus.xml",
        "views/spp_area_views.xml",
        "views/res_partner_views.xml",
        "views/spp_program_views.xml",
        "views/spp_fsp_views.xml",
        "views/spp_payment_views.xml",
        "views/spp_payment_overpayment_views.xml",
        "views/spp_payment_callback_views.xml",
        "views/spp_destination_change_views.xml",
    ],
}
