# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Attempts lose the indexes their unique constraints already provide (payment,
key) and the one on state (the partial unique indexes serve the in-flight and
paid lookups); the FSP references become partial (NOT NULL) indexes, recreated by
the update. Odoo keeps an index a field no longer asks for, so drop them here:
each one is written for every attempt a transition moves."""

from odoo.tools import SQL


def migrate(cr, version):
    for column in (
        "payment_id",
        "idempotency_key",
        "state",
        "fsp_batch_ref",
        "fsp_txn_id",
    ):
        index = SQL.identifier(f"spp_payment_attempt__{column}_index")
        cr.execute(SQL("DROP INDEX IF EXISTS %s", index))
