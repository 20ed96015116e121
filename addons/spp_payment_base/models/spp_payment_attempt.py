# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL, sql

from .spp_payment import PAYMENT_STATES

IN_FLIGHT = ("queued", "sent", "accepted", "processing", "unknown")


class SppPaymentAttempt(models.Model):
    """One send of a payment to its FSP, under one idempotency key."""

    _name = "spp.payment.attempt"
    _description = "Payment Attempt"
    _order = "payment_id, attempt_no"
    _rec_name = "idempotency_key"

    # Few indexes on purpose: every state change of a million payments moves
    # their current attempts too, and each index is written for each row moved.
    # UNIQUE(payment_id, attempt_no) serves lookups by payment, UNIQUE(key) by
    # key, the partial unique index on holds_slot the in-flight and paid
    # attempts; FSP references are indexed only where an FSP gave one.
    payment_id = fields.Many2one(
        "spp.payment", required=True, ondelete="restrict", readonly=True
    )
    attempt_no = fields.Integer(required=True, readonly=True)
    idempotency_key = fields.Char(required=True, readonly=True)
    fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True)
    state = fields.Selection(
        [s for s in PAYMENT_STATES if s[0] not in ("draft", "approved")],
        required=True,
        readonly=True,
    )
    sent_date = fields.Datetime(readonly=True)
    fsp_batch_ref = fields.Char(
        string="FSP Batch", readonly=True, index="btree_not_null"
    )
    fsp_txn_id = fields.Char(
        string="FSP Transaction", readonly=True, index="btree_not_null"
    )
    fsp_status_raw = fields.Char(string="FSP Status", readonly=True)
    fsp_reason_code = fields.Char(string="FSP Reason", readonly=True)
    request_digest = fields.Char(readonly=True, help="SHA-256 of the request sent.")
    response_digest = fields.Char(readonly=True, help="SHA-256 of the answer.")

    _attempt_no_unique = models.Constraint(
        "UNIQUE(payment_id, attempt_no)", "Attempt numbers are unique per payment."
    )
    _key_unique = models.Constraint(
        "UNIQUE(idempotency_key)", "An idempotency key is never reused."
    )
    # The database itself refuses a second success or a second send in flight:
    # an attempt in flight or paid holds its payment's one slot (see init()).
    # The index reads the generated column, not state: a paid transition
    # (sent -> paid) leaves the slot as it was, so the attempt's UPDATE is HOT
    # and rewrites none of the table's indexes (two partial indexes on state
    # made it rewrite all of them, per row, at a million rows).
    _one_live_attempt = models.UniqueIndex(
        "(payment_id) WHERE holds_slot",
        "A payment cannot be sent again while an attempt is in flight, nor have "
        "two successful attempts.",
    )

    def _auto_init(self):
        # The slot index reads holds_slot, which Odoo would index before init():
        # the column (and the state it derives from) come first.
        cr = self.env.cr
        if not sql.table_exists(cr, self._table):
            sql.create_model_table(cr, self._table, self._description)
        if not sql.column_exists(cr, self._table, "state"):
            sql.create_column(cr, self._table, "state", "varchar")
        # Not an ORM field: PostgreSQL computes it from state on every write,
        # whoever writes (the set-based transitions write attempts in SQL).
        cr.execute(
            SQL(
                """
                ALTER TABLE spp_payment_attempt
                  ADD COLUMN IF NOT EXISTS holds_slot boolean
                      GENERATED ALWAYS AS (state IN %s) STORED;
                -- Room in each page for the next version of its rows, so that
                -- state changes stay on the page (HOT).
                ALTER TABLE spp_payment_attempt SET (fillfactor = 50)
                """,
                (*IN_FLIGHT, "paid"),
            )
        )
        return super()._auto_init()
