# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Reconciliation batches and lines moved to spp_payment_reconciliation.

That module adopts their external ids, tables and records in its pre_init_hook,
before the end of this update could delete them. Here we make sure it is
installed in the same run even when no updated module depends on it (the loader
picks up the modules marked for installation while it loads)."""


def migrate(cr, version):
    if version:
        cr.execute(
            "UPDATE ir_module_module SET state = 'to install' "
            "WHERE name = 'spp_payment_reconciliation' AND state = 'uninstalled'"
        )
