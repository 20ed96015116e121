# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.addons.spp_approval.tools import move_models

# Until spp_payroll 19.0.1.1.0 the reconciliation batches lived in spp_payroll.
FORMER_MODULE = "spp_payroll"
MODELS = ("spp.reconciliation", "spp.reconciliation.line")
NAMES = (
    "menu_spp_reconciliation",
    "menu_spp_reconciliation_line",
    "reconciliation_summary",  # QWeb templates keep their names
)


def pre_init_hook(env):
    """Adopt the reconciliation models of a database created before the split:
    their external ids, constraints and so their tables and records, before
    this module loads its data and before the update's clean-up would delete
    what spp_payroll no longer declares (spp_payroll's pre-migrate makes sure
    this module is installed in the same run)."""
    move_models(env.cr, MODELS, FORMER_MODULE, "spp_payment_reconciliation", NAMES)
