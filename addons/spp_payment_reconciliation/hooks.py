# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.addons.spp_approval.tools import move_models

# Until 19.0.1.1.0 the reconciliation batches lived in spp_payroll.
FORMER_MODULE = "spp_payroll"
MODELS = ("spp.reconciliation", "spp.reconciliation.line")
NAMES = ("menu_spp_reconciliation", "menu_spp_reconciliation_line")
# QWeb templates keep their names.
TEMPLATES = ("reconciliation_summary",)


def pre_init_hook(env):
    """Adopt the reconciliation models of a database created before the split
    (spp_payroll's pre-migrate did it already when spp_payroll was updated
    first; this covers ``-u`` of a connector alone)."""
    move_models(
        env.cr, MODELS, FORMER_MODULE, "spp_payment_reconciliation", NAMES + TEMPLATES
    )
