# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "SPP Payments: PPM Field App",
    "summary": "Offline app for payment point managers at /ppm, with signed sync",
    "version": "19.0.1.0.0",
    "development_status": "Alpha",
    "category": "Social Protection",
    "website": "https://github.com/spp-payments/spp-payments",
    "author": "SPP Payments contributors, Odoo Community Association (OCA)",
    "maintainers": ["spp-payments"],
    "license": "LGPL-3",
    "depends": ["spp_payroll_ppm"],
    "data": [
        "security/ir.model.access.csv",
        "security/spp_ppm_app_rules.xml",
        "views/spp_payment_views.xml",
        "data/ir_sequence.xml",
        "views/ppm_templates.xml",
        "views/spp_ppm_device_views.xml",
    ],
    "assets": {
        # The PPM app's own bundle (served at /ppm, precached by its service
        # worker): no web client, no /web/dataset.
        "spp_ppm_app.assets_ppm": [
            ("include", "web._assets_helpers"),
            ("include", "web._assets_primary_variables"),
            ("include", "web._assets_frontend_helpers"),
            "web/static/src/scss/pre_variables.scss",
            "web/static/lib/bootstrap/scss/_variables.scss",
            "web/static/lib/bootstrap/scss/_variables-dark.scss",
            "web/static/lib/bootstrap/scss/_maps.scss",
            ("include", "web._assets_bootstrap_frontend"),
            ("include", "web._assets_core"),
            "spp_ppm_app/static/src/scss/ppm_app.scss",
            "spp_ppm_app/static/src/app/**/*",
        ],
    },
}
