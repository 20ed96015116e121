# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import time

from spp_payment_core import states
from spp_payment_core.idempotency import idempotency_key

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL

from ..tools import (
    DerivedMany2one,
    GuardedMany2one,
    SparseMany2one,
    bulk_work_mem,
    drop_stale_indexes,
    exchange_difference_sql,
    fsp_issued_sql,
    id_array,
    is_guarded_write,
    refresh_statistics,
    refuse_fields,
    set_fillfactor,
    to_program_sql,
)

_logger = logging.getLogger(__name__)

CHANNELS = [
    ("digital", "Digital"),
    ("payment_point", "Payment Point"),
    ("voucher", "Voucher"),
]
PAYMENT_STATES = [
    ("draft", "Draft"),
    ("approved", "Approved"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("accepted", "Accepted"),
    ("processing", "Processing"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("rejected", "Rejected"),
    ("reversed", "Reversed"),
    ("unknown", "Unknown"),
    ("cancelled", "Cancelled"),
]
_GUARD = "payment_state"
# Changed only by the guarded transition methods below.
GUARDED_FIELDS = frozenset(
    {
        "state",
        "state_date",
        "paid_amount",
        "paid_date",
        "current_attempt_id",
        # Set from overpayment receivables only (see spp.payment.overpayment).
        "is_suspected_double",
        "is_overpaid",
        # Kept by the attempts' own statements (see _spp_create_attempts and
        # spp.fsp._spp_store_fsp_details).
        "attempt_count",
        "last_fsp_message",
        # Frozen at the payroll's approval, in SQL (see spp.payroll.rate).
        "fsp_amount",
        "fsp_currency_id",
        "fsp_rate",
        # Written with the paid state (see _spp_state_assignments).
        "fsp_paid_amount",
        "exchange_difference",
    }
)
# Once paid, the FSP receipt is the evidence of that payment.
RECEIPT_LOCKED_STATES = frozenset({"paid", "reversed"})
# Indexes of earlier versions. No index covers a column a transition writes
# (state, dates, amounts, receipt): PostgreSQL then updates the row in place
# (HOT) instead of writing an entry in every index, 2 s per index for a million
# payments. Payments in flight are found through their attempts.
DROPPED_INDEXES = (
    "spp_payment__external_ref_index",
    "spp_payment__fsp_id_index",
    "spp_payment_in_flight_idx",
    "spp_payment__is_duplicate_index",
    "spp_payment__program_id_index",
    "spp_payment__reference_index",
    "spp_payment__state_date_index",
    "spp_payment__state_index",
    "spp_payment_state_id",
)
# What a Finance Manager may decide about a payment the FSP cannot report on.
UNKNOWN_DECISIONS = [
    ("failed", "Not Paid (failed)"),
    ("paid", "Paid"),
]
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"
# The program currency's rounding in a paid transition (see _spp_transition_sql).
# Read into the materialized ``old`` rows: a join in the UPDATE itself let the
# planner loop over the details once per payment at a million.
PROGRAM_ROUNDING = SQL("old.program_rounding")
# Still editable on a payment that left the draft state.
UNLOCKED_FIELDS = frozenset({"note", "external_ref", "status_reason"})


class SppPayment(models.Model):
    """One payment to one beneficiary: the "invoice" that attempts try to settle."""

    _name = "spp.payment"
    _description = "Payment"
    _order = "id desc"
    _rec_name = "reference"

    # Indexed by its unique constraint.
    reference = fields.Char(
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: self.env["ir.sequence"].next_by_code("spp.payment"),
    )
    # Columns implied by the membership carry no foreign key (see DerivedMany2one):
    # generation inserts a million payments without ten key checks per row.
    program_id = DerivedMany2one("spp.program", required=True, ondelete="restrict")
    # Kept by triggers a set-based insert takes over (see GuardedMany2one):
    # deleting a membership and paying it race on its program's row.
    membership_id = GuardedMany2one(
        "spp.program.membership", index=True, ondelete="restrict", guard="program_id"
    )
    partner_id = DerivedMany2one(
        "res.partner",
        string="Beneficiary",
        required=True,
        index=True,
        ondelete="restrict",
    )
    company_id = DerivedMany2one(related="program_id.company_id", store=True)
    currency_id = DerivedMany2one(related="program_id.currency_id", store=True)
    fsp_id = DerivedMany2one("spp.fsp", string="FSP", ondelete="restrict")
    create_uid = DerivedMany2one("res.users", string="Created by", readonly=True)
    write_uid = DerivedMany2one("res.users", string="Last Updated by", readonly=True)
    channel = fields.Selection(CHANNELS, required=True, default="digital")
    destination_type = fields.Selection(
        [("msisdn", "Mobile Money"), ("bank", "Bank Account"), ("other", "Other")]
    )
    destination = fields.Char(help="Account or mobile number at the time of payment.")
    amount = fields.Monetary(required=True, currency_field="currency_id")
    # What the FSP pays, in its own currency: the amount converted at the rate
    # the payroll froze at its approval, rounded to the FSP's currency. Empty
    # until then; the connectors fall back on amount and currency_id.
    fsp_currency_id = DerivedMany2one(
        "res.currency", string="FSP Currency", readonly=True
    )
    fsp_amount = fields.Monetary(
        string="FSP Amount",
        currency_field="fsp_currency_id",
        readonly=True,
        help="The amount in the FSP's currency, at the rate frozen when the "
        "payroll was approved.",
    )
    fsp_rate = fields.Float(
        string="Frozen Rate",
        digits=0,
        readonly=True,
        help="FSP currency units per program currency unit, frozen by the "
        "payroll's approval; empty when the FSP pays in the program's currency.",
    )
    fsp_paid_amount = fields.Monetary(
        string="Paid (FSP Currency)",
        currency_field="fsp_currency_id",
        readonly=True,
        help="What the FSP reported paying, in its currency (payments in "
        "another currency than the program's).",
    )
    exchange_difference = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="The amount the FSP paid, converted back at the frozen rate, less "
        "the paid amount: what rounding in two currencies leaves over.",
    )
    amount_breakdown = fields.Json(help="Components of the amount, as computed.")
    state = fields.Selection(
        PAYMENT_STATES, default="draft", required=True, readonly=True
    )
    # Neither state nor state_date is indexed (see DROPPED_INDEXES).
    state_date = fields.Datetime(readonly=True)
    is_duplicate = fields.Boolean(string="Duplicate Flag")
    duplicate_reason = fields.Char()
    is_capped = fields.Boolean()
    is_over_balance = fields.Boolean()
    back_payment_count = fields.Integer()
    paid_amount = fields.Monetary(currency_field="currency_id", readonly=True)
    paid_date = fields.Datetime(readonly=True)
    # Not indexed: no code looks payments up by receipt, and an index would cost
    # every reconciled payment one more write (about 2 s per million).
    external_ref = fields.Char(string="FSP Receipt")
    status_reason = fields.Char(string="Reason")
    note = fields.Text()
    attempt_ids = fields.One2many("spp.payment.attempt", "payment_id", readonly=True)
    # Stored for the status overview (filter, sort, group by at a million
    # payments), maintained set-based by the statements that write attempts.
    # Not indexed: a write must stay in place (HOT, see DROPPED_INDEXES).
    attempt_count = fields.Integer(string="Attempts", readonly=True, default=0)
    last_fsp_message = fields.Char(
        string="Last FSP Message",
        readonly=True,
        help="Status and reason of the FSP's latest answer about this payment.",
    )
    # Empty at generation: a foreign key would queue a check per payment
    # written (0.4 s a million); set by the statement that creates attempts.
    current_attempt_id = SparseMany2one("spp.payment.attempt", readonly=True)
    event_ids = fields.One2many("spp.payment.event", "payment_id", readonly=True)
    # Not indexed: written only when an FSP reports money we did not mean to pay.
    is_suspected_double = fields.Boolean(
        string="Suspected Double Payment",
        readonly=True,
        help="A success was reported for this payment while it was failed, "
        "rejected or reversed, or for an attempt that is no longer its current "
        "one: see its overpayment receivables.",
    )
    is_overpaid = fields.Boolean(
        string="Paid Above Amount",
        readonly=True,
        help="The FSP reported a paid amount above the amount issued.",
    )
    overpayment_ids = fields.One2many(
        "spp.payment.overpayment", "payment_id", readonly=True
    )

    _reference_unique = models.Constraint(
        "UNIQUE(reference)", "A payment reference must be unique."
    )
    # The payment lists filtered by FSP, in their order (id desc), read the
    # first page and the count from this index. Not state: an index on it
    # makes every transition write every index of every payment it moves
    # (no HOT update): 50 s instead of 12.5 s for 900,000 payments, measured.
    _fsp_id_id = models.Index("(fsp_id, id) WHERE fsp_id IS NOT NULL")
    _amount_positive = models.Constraint(
        "CHECK(amount >= 0)", "A payment amount cannot be negative."
    )
    _fsp_amount_positive = models.Constraint(
        "CHECK(fsp_amount IS NULL OR fsp_amount >= 0)",
        "An FSP amount cannot be negative.",
    )
    _paid_amount_positive = models.Constraint(
        "CHECK(paid_amount IS NULL OR paid_amount >= 0)",
        "A paid amount cannot be negative.",
    )

    def init(self):
        result = super().init()
        drop_stale_indexes(self.env.cr, self._table, DROPPED_INDEXES)
        # Room for the next version of each row on its page: a payment moves
        # four or five times in its first days, each time in place (HOT).
        set_fillfactor(self.env.cr, self._table, 50, "spp_payment_pkey")
        # Bulk inserts in SQL name only the columns they fill.
        self.env.cr.execute(
            SQL("ALTER TABLE spp_payment ALTER COLUMN attempt_count SET DEFAULT 0")
        )
        return result

    # Write protection ----------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(_GUARD):
            for vals in vals_list:
                given = GUARDED_FIELDS & vals.keys()
                if any(vals[f] not in (False, None, "draft") for f in given):
                    refuse_fields(
                        given,
                        self.env._(
                            "A payment is created as a draft; %s follow its "
                            "transitions.",
                        ),
                    )
                vals["state"] = "draft"
        return super().create(vals_list)

    def write(self, vals):
        if is_guarded_write(_GUARD):
            return super().write(vals)
        self._spp_check_write(vals)
        # Every edit is evidence: who changed which field, before and after.
        audited = self._spp_audited_fields(vals)
        changes = self.env["spp.payment.change"]
        change_ids = changes._spp_record_before(self, audited) if audited else []
        result = super().write(vals)
        edited = changes._spp_record_after(self, audited, change_ids)
        if edited:
            edited._on_spp_edited()
        return result

    def _spp_audited_fields(self, vals):
        """Stored columns of ``vals`` an edit is recorded for."""
        return sorted(
            name
            for name in vals
            if name in self._fields
            and self._fields[name].store
            and self._fields[name].column_type
            and name not in LOG_ACCESS_COLUMNS
        )

    def _on_spp_edited(self):
        """Hook: these payments were edited (and the change recorded)."""

    @api.ondelete(at_uninstall=False)
    def _unlink_except_not_draft(self):
        if is_guarded_write(_GUARD):
            return
        locked = self.filtered(lambda p: p.state != "draft")
        if locked:
            raise UserError(
                self.env._(
                    "Only draft payments can be deleted; cancel the others: %s.",
                    self._spp_refs(locked),
                )
            )

    def _spp_check_write(self, vals):
        """Refuse writes of transition fields, and of locked payments."""
        guarded = GUARDED_FIELDS & vals.keys()
        refuse_fields(
            guarded,
            self.env._(
                "Payment states change only through their transitions; %s "
                "cannot be written.",
            ),
        )
        locked = self.filtered(lambda p: p.state != "draft")
        changed = set(vals) - UNLOCKED_FIELDS
        if locked and changed:
            raise UserError(
                self.env._(
                    "Payments %(refs)s are no longer drafts; %(fields)s cannot change.",
                    refs=self._spp_refs(locked),
                    fields=", ".join(sorted(changed)),
                )
            )
        if "external_ref" in vals:
            self._spp_check_receipt_change(vals["external_ref"])

    def _spp_check_receipt_change(self, receipt):
        """The receipt of a paid payment is the FSP's evidence of it: it is not
        replaced by hand (a different one is a report to flag, not an edit)."""
        replaced = self.filtered(
            lambda p: (
                p.state in RECEIPT_LOCKED_STATES
                and p.external_ref
                and p.external_ref != (receipt or False)
            )
        )
        if replaced:
            raise UserError(
                self.env._(
                    "The FSP receipt of paid payments %s cannot be replaced.",
                    self._spp_refs(replaced),
                )
            )

    @api.model
    def _spp_reference_sql(self):
        """SQL drawing one payment reference per row, formatted as the payment
        sequence's ``next_by_code`` would (prefix and suffix interpolated by
        ``ir.sequence`` itself): bulk inserts cannot call it once per row."""
        sequence = self.env.ref("spp_payment_base.seq_spp_payment").sudo()
        if sequence.implementation != "standard" or sequence.use_date_range:
            raise UserError(
                self.env._(
                    "Sequence %s must be a standard sequence without date ranges: "
                    "payments are numbered in bulk.",
                    sequence.name,
                )
            )
        prefix, suffix = sequence._get_prefix_suffix()
        # Zero-padded like "%0*d": widened, never cut, past the padding.
        return SQL(
            "%s || translate(format('%%*s', %s, nextval(%s)), ' ', '0') || %s",
            prefix,
            sequence.padding,
            f"ir_sequence_{sequence.id:03d}",
            suffix,
        )

    @api.model
    def _spp_where(self, ids, condition):
        """The payments of ``ids`` matching the SQL ``condition``, selected in
        SQL: filtering a recordset instead reads every stored field of every
        payment (a chunk of a file FSP is a whole payroll)."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM spp_payment WHERE id = ANY(%s) AND (%s) ORDER BY id",
                list(ids),
                condition,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _spp_by_fsp(self):
        """{FSP: its payments among these}, grouped in SQL; refused when some
        have no FSP."""
        self.flush_model(["fsp_id"])
        self.env.cr.execute(
            SQL(
                "SELECT fsp_id, array_agg(id ORDER BY id) FROM spp_payment "
                "WHERE id = ANY(%s) GROUP BY fsp_id ORDER BY fsp_id NULLS FIRST",
                list(self.ids),
            )
        )
        groups = self.env.cr.fetchall()
        if groups and groups[0][0] is None:
            raise UserError(
                self.env._(
                    "Payments without an FSP: %s.",
                    self._spp_refs(self.browse(groups[0][1])),
                )
            )
        fsps = self.env["spp.fsp"].browse([fsp for fsp, _ids in groups])
        return {
            fsp: self.browse(ids) for fsp, (_fsp, ids) in zip(fsps, groups, strict=True)
        }

    @api.model
    def _spp_refs(self, payments, limit=10, total=None):
        """References of the first ``limit`` payments, and how many more of
        ``total`` (default: all of ``payments``) there are."""
        refs = payments[:limit].mapped("reference")
        more = (len(payments) if total is None else total) - len(refs)
        return ", ".join(refs) + (self.env._(" and %s more", more) if more > 0 else "")

    @api.model
    def _spp_refuse_unlink_of(self, records, *columns):
        """Deleting what payments point to through a column without a foreign key
        (see DerivedMany2one) is refused here, as the key would have."""
        if not records:
            return
        self.env.flush_all()
        for column in columns:
            self.env.cr.execute(
                SQL(
                    "SELECT 1 FROM spp_payment WHERE %s = ANY(%s) LIMIT 1",
                    SQL.identifier(column),
                    list(records.ids),
                )
            )
            if self.env.cr.rowcount:
                raise UserError(
                    self.env._(
                        "%s cannot be deleted: payments refer to it. Archive it.",
                        ", ".join(records.mapped("display_name")[:5]),
                    )
                )

    # Guarded transitions -------------------------------------------------

    def _set_approved(self, reason=None, fx_values=None):
        """Approve payments; ``fx_values`` ({column: SQL expression over the
        payment ``p``} of fsp_currency_id, fsp_amount, fsp_rate) freezes what
        each pays in its FSP's currency in the same UPDATE as the state (see
        spp.payroll.rate): no second version of every row, no join."""
        return self._spp_transition(states.APPROVED, reason, values=fx_values)

    def _set_queued(self, reason=None, skip_exhausted=False):
        """Queue for sending: each payment gets a new attempt and idempotency key.
        Payments with no retries left are refused, or, with ``skip_exhausted``,
        left where they are (the caller reports them)."""
        self.env.flush_all()
        exhausted = self._spp_exhausted()
        if exhausted and not skip_exhausted:
            self._spp_refuse_exhausted(exhausted)
        to_queue = (self - exhausted)._spp_transition(
            states.QUEUED, reason, skip_same=False
        )
        to_queue._spp_create_attempts()
        return to_queue

    def _set_sent(self, reason=None):
        return self._spp_transition(states.SENT, reason)

    def _set_accepted(self, reason=None):
        return self._spp_transition(states.ACCEPTED, reason)

    def _set_processing(self, reason=None, details=None):
        return self._spp_transition(states.PROCESSING, reason, details=details)

    def _set_paid(self, reason=None, paid_amounts=None, paid_date=None, details=None):
        """Confirm payments paid, at the amount issued unless ``paid_amounts``
        (payment id -> amount received) or ``details`` say otherwise.

        ``details`` is an SQL query of rows (id, paid_amount, paid_date,
        external_ref, status_reason), e.g. the lines of a reconciliation: they
        are written in the same pass as the state, one UPDATE for the lot.
        """
        if details is None and paid_amounts:
            details = SQL(
                "SELECT id, amount AS paid_amount, NULL::timestamp AS paid_date, "
                "NULL::varchar AS external_ref, NULL::varchar AS status_reason "
                "FROM unnest(%s::int[], %s::numeric[]) AS v(id, amount)",
                list(paid_amounts),
                [paid_amounts[pid] for pid in paid_amounts],
            )
        return self._spp_transition(
            states.PAID,
            reason,
            values={"paid_date": paid_date or fields.Datetime.now()},
            details=details,
        )

    def _set_failed(self, reason=None, details=None):
        return self._spp_transition(states.FAILED, reason, details=details)

    def _set_rejected(self, reason=None, details=None):
        return self._spp_transition(states.REJECTED, reason, details=details)

    def _set_reversed(self, reason=None, details=None):
        return self._spp_transition(states.REVERSED, reason, details=details)

    def _set_unknown(self, reason=None, details=None):
        return self._spp_transition(states.UNKNOWN, reason, details=details)

    def _set_cancelled(self, reason=None):
        return self._spp_transition(states.CANCELLED, reason)

    def _spp_transition(
        self, target, reason=None, values=None, skip_same=True, details=None
    ):
        """Move payments to ``target`` in one statement, with its effects.

        The statement updates the payments whose state allows the move and,
        from the rows it moved, writes what follows (see _spp_transition_effects).
        Payments already in ``target`` are skipped when ``skip_same`` (a repeated
        notification changes nothing); any other illegal move refuses the whole
        set and the savepoint undoes the statement. Rows are locked by the update
        itself; a payment changed by a concurrent transaction since this one
        began is a serialization failure, retried by Odoo. Returns the payments
        that moved.
        """
        if not self:
            return self
        started = time.perf_counter()
        self.env.flush_all()
        values = values or {}
        bulk_work_mem(self.env.cr, len(self))
        with self.env.cr.savepoint(flush=False):
            self.env.cr.execute(
                self._spp_transition_sql(target, reason, values, skip_same, details)
            )
            moved_ids, illegal = self._spp_transition_result(self.env.cr.fetchall())
            if illegal:
                self._spp_refuse_transition(target, illegal)
        self._spp_invalidate_transition()
        _logger.debug(
            "transition to %s: %s payments in %.3f s",
            target,
            len(moved_ids),
            time.perf_counter() - started,
        )
        return self.browse(moved_ids)

    def _spp_transition_sql(self, target, reason, values, skip_same, details):
        sources = sorted(states.sources_of(target))
        allowed = [*sources, target] if skip_same else sources
        detail_join = (
            SQL("LEFT JOIN (%s) d ON d.id = old.id", details) if details else SQL()
        )
        effects = [
            SQL("%s AS (%s)", SQL.identifier(f"effect_{n}"), effect)
            for n, effect in enumerate(self._spp_transition_effects(target, reason))
        ]
        return SQL(
            """
            WITH old AS MATERIALIZED (
                SELECT s.id, s.state, c.rounding AS program_rounding
                  FROM spp_payment s LEFT JOIN res_currency c ON c.id = s.currency_id
                 WHERE s.id = ANY(%(ids)s::int[])
            ),
            moved AS (
                UPDATE spp_payment p SET %(assignments)s
                  FROM old %(detail_join)s
                 WHERE p.id = old.id AND old.state = ANY(%(sources)s)
             RETURNING p.id, old.state AS old_state, p.current_attempt_id,
                       p.membership_id, p.paid_amount, p.amount
            )%(effects)s
            SELECT NULL, COUNT(*), array_agg(id) FROM moved
             UNION ALL
            SELECT state, COUNT(*), (array_agg(id ORDER BY id))[1:10] FROM old
             WHERE NOT state = ANY(%(allowed)s) GROUP BY state
            """,
            ids=id_array(self.ids),
            assignments=SQL(", ").join(
                self._spp_state_assignments(target, values, bool(details))
            ),
            detail_join=detail_join,
            sources=sources,
            effects=SQL("").join(SQL(",\n%s", effect) for effect in effects),
            allowed=allowed,
        )

    def _spp_state_assignments(self, target, values, with_details):
        """SET clauses of a transition; ``d`` is the row of details, if any."""
        assignments = [
            SQL("state = %s", target),
            SQL("state_date = now() at time zone 'utc'"),
            SQL("write_uid = %s", self.env.uid),
            SQL("write_date = now() at time zone 'utc'"),
        ]
        fixed = dict(values)
        if with_details:
            assignments += [
                SQL("external_ref = COALESCE(d.external_ref, p.external_ref)"),
                SQL("status_reason = COALESCE(d.status_reason, p.status_reason)"),
            ]
            if target == states.PAID:
                # Reported in the FSP's currency (the same as the program's
                # unless the payment carries a frozen rate).
                reported = SQL("COALESCE(d.paid_amount, %s)", fsp_issued_sql())
                assignments += [
                    SQL(
                        "paid_amount = CASE WHEN d.paid_amount IS NULL THEN p.amount "
                        "ELSE %s END",
                        to_program_sql(SQL("d.paid_amount"), rounding=PROGRAM_ROUNDING),
                    ),
                    SQL(
                        "paid_date = COALESCE(d.paid_date, %s)", fixed.pop("paid_date")
                    ),
                    *self._spp_fx_paid_assignments(reported),
                ]
        elif target == states.PAID:
            assignments.append(SQL("paid_amount = p.amount"))
            assignments += self._spp_fx_paid_assignments(fsp_issued_sql())
        assignments += [SQL("%s = %s", SQL.identifier(k), v) for k, v in fixed.items()]
        return assignments

    def _spp_fx_paid_assignments(self, reported):
        """What a payment paid through an FSP in another currency records: the
        amount reported, in that currency, and the exchange difference."""
        return [
            SQL(
                "fsp_paid_amount = CASE WHEN p.fsp_rate IS NULL THEN NULL ELSE %s END",
                reported,
            ),
            SQL(
                "exchange_difference = %s",
                exchange_difference_sql(reported, rounding=PROGRAM_ROUNDING),
            ),
        ]

    def _spp_transition_effects(self, target, reason):
        """Statements run on the rows a transition moved (``moved``: id,
        old_state, current_attempt_id, membership_id, paid_amount, amount), inside the
        same statement: the event log, the current attempt following its payment,
        the members' paid totals. Extend to add effects."""
        effects = [self.env["spp.payment.event"]._spp_log_sql("moved", target, reason)]
        # The current attempt follows its payment once sent; queueing creates a
        # new attempt instead (see _spp_create_attempts). The attempts are
        # visited in id order, the order they were written in: for 245,000
        # of them 1.2 s against 2.1 s in the order of payments whose rows had
        # moved (EXPLAIN ANALYZE of a reconciliation slice; about the same
        # on freshly written tables).
        if target not in (states.DRAFT, states.APPROVED, states.QUEUED):
            effects.append(
                SQL(
                    "UPDATE spp_payment_attempt a SET state = %s, "
                    "write_date = now() at time zone 'utc' "
                    "FROM (SELECT current_attempt_id FROM moved "
                    "ORDER BY current_attempt_id OFFSET 0) moved "
                    "WHERE a.id = moved.current_attempt_id",
                    target,
                )
            )
        sign = {states.PAID: 1, states.REVERSED: -1}.get(target)
        if sign:
            effects.append(
                self.env["spp.program.membership"]._spp_paid_totals_sql("moved", sign)
            )
        return effects

    @api.model
    def _spp_transition_result(self, rows):
        """(moved ids, {illegal state: (count, sample ids)}) from the statement."""
        moved_ids, illegal = [], {}
        for state, count, ids in rows:
            if state is None:
                moved_ids = ids or []
            else:
                illegal[state] = (count, ids)
        return moved_ids, illegal

    def _spp_refuse_transition(self, target, illegal):
        state, (_count, sample) = next(iter(sorted(illegal.items())))
        total = sum(count for count, _ids in illegal.values())
        raise UserError(
            self.env._(
                "Illegal payment transition to %(target)s for %(refs)s "
                "(e.g. from %(state)s); nothing was changed.",
                target=target,
                refs=self._spp_refs(self.browse(sample), total=total),
                state=state,
            )
        )

    def _spp_invalidate_transition(self):
        # Extensions write more columns in the same statement (see
        # _spp_state_assignments): forget every field of the payments.
        self.invalidate_recordset()
        self.env["spp.payment.attempt"].invalidate_model(["state", "write_date"])
        self.env["spp.program.membership"].invalidate_model(
            ["paid_total", "balance", "payment_count"]
        )

    def _spp_create_attempts(self):
        """One new attempt per payment, numbered after its previous ones, with the
        deterministic idempotency key of (database, payment, attempt)."""
        if not self:
            return
        started = time.perf_counter()
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        self.env.cr.execute(
            SQL(
                "SELECT p.id, p.fsp_id, COALESCE(MAX(a.attempt_no), 0) + 1 "
                "FROM spp_payment p LEFT JOIN spp_payment_attempt a "
                "ON a.payment_id = p.id WHERE p.id = ANY(%s) GROUP BY p.id",
                list(self.ids),
            )
        )
        rows = self.env.cr.fetchall()
        keys = [idempotency_key(db_uuid, pid, no) for pid, _fsp, no in rows]
        self.env.cr.execute(
            SQL(
                """
                WITH new AS (
                    INSERT INTO spp_payment_attempt
                        (payment_id, fsp_id, attempt_no, idempotency_key, state,
                         create_uid, create_date, write_uid, write_date)
                    SELECT pid, fsp, no, key, 'queued',
                           %(uid)s, now() at time zone 'utc',
                           %(uid)s, now() at time zone 'utc'
                      FROM unnest(%(pids)s::int[], %(fsps)s::int[], %(nos)s::int[],
                                  %(keys)s::varchar[]) AS r(pid, fsp, no, key)
                    RETURNING id, payment_id
                )
                UPDATE spp_payment p SET current_attempt_id = new.id,
                       attempt_count = COALESCE(p.attempt_count, 0) + 1
                  FROM new WHERE p.id = new.payment_id
                   -- The ids again, for the planner: joined to the INSERT's
                   -- rows alone, it hashed the whole payment table (a
                   -- sequential scan per chunk of a million-payment payroll).
                   AND p.id = ANY(%(pids)s)
                """,
                uid=self.env.uid,
                pids=[r[0] for r in rows],
                fsps=[r[1] for r in rows],
                nos=[r[2] for r in rows],
                keys=keys,
            )
        )
        self.invalidate_recordset(
            ["current_attempt_id", "attempt_ids", "attempt_count"]
        )
        refresh_statistics(self.env.cr, "spp_payment_attempt", len(rows))
        _logger.debug(
            "attempts created: %s payments in %.3f s",
            len(rows),
            time.perf_counter() - started,
        )

    def _spp_exhausted(self):
        """The payments that used all the attempts their FSP allows."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id
                  FROM spp_payment p
                  JOIN spp_payment_attempt a ON a.payment_id = p.id
             LEFT JOIN spp_fsp f ON f.id = p.fsp_id
                 WHERE p.id = ANY(%s)
              GROUP BY p.id, f.max_retries
                HAVING COUNT(a.id) > COALESCE(f.max_retries, 0)
                """,
                list(self.ids),
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _spp_refuse_exhausted(self, exhausted):
        raise UserError(
            self.env._(
                "No retries left for %s; nothing was queued.",
                self._spp_refs(exhausted),
            )
        )

    # Decisions -----------------------------------------------------------

    def _spp_decide_unknown(self, decision, note):
        """A Finance Manager settles unknown payments the FSP has no answer for:
        not paid (then they can be retried) or paid. Missing evidence never
        decides by itself; this decision is recorded in the event log, with who
        took it and why."""
        if not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(
                self.env._("Only a Finance Manager decides an unknown payment.")
            )
        if decision not in dict(UNKNOWN_DECISIONS):
            raise UserError(self.env._("Unknown decision %s.", decision))
        if not (note or "").strip():
            raise UserError(self.env._("Say why: a decision needs a note."))
        not_unknown = self.filtered(lambda p: p.state != states.UNKNOWN)
        if not_unknown:
            raise UserError(
                self.env._(
                    "Only unknown payments are decided; not %s.",
                    self._spp_refs(not_unknown),
                )
            )
        reason = self.env._(
            "Decided %(decision)s by %(user)s: %(note)s",
            decision=dict(UNKNOWN_DECISIONS)[decision],
            user=self.env.user.name,
            note=note.strip(),
        )[:250]
        getattr(self.sudo(), f"_set_{decision}")(reason=reason)
        return True

    def action_open_unknown_decision(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Decide Unknown Payments"),
            "res_model": "spp.payment.unknown.decision",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    # Dispatch ------------------------------------------------------------
    #
    # Sending is two transactions: queueing (new attempts with their
    # deterministic idempotency keys; the payments are locked by the update) is
    # committed before any FSP is called, and delivering locks a payment only
    # when it records the FSP's answer. Payroll runs run the two phases as two
    # queue jobs (see spp.payroll.run); a crash between them or during the call
    # leaves the payments queued with the same keys, and delivering them again
    # sends the very attempts the FSP already has.

    def _spp_send(self, skip_exhausted=False):
        """Queue approved or retryable payments and hand them to their FSPs in
        this one transaction (manual processing, tests); those with no retries
        left are skipped with ``skip_exhausted``. Runs split it."""
        queued = self._spp_queue_for_sending(skip_exhausted=skip_exhausted)
        queued._spp_deliver()
        return queued

    def _spp_queue_for_sending(self, skip_exhausted=False):
        """Phase 1: each payment gets a new attempt and is queued; its FSP
        prepares what must be known before the call (e.g. batch references).
        Commit before calling the FSP: the payments stay locked until then."""
        by_fsp = self._spp_by_fsp()
        self.env["spp.fsp"].union(*by_fsp)._spp_check_usable()
        queued = self._set_queued(skip_exhausted=skip_exhausted)
        for fsp, payments in queued._spp_by_fsp().items():
            fsp._spp_prepare_send(payments)
        return queued

    def _spp_deliver(self):
        """Phase 2: hand the queued payments (their current attempts) to their
        FSPs. Connectors read, call the FSP, and only then move the payments
        through the guarded transitions: no payment row is locked by this
        transaction while an FSP is being called."""
        queued = self._spp_where(self.ids, SQL("state = %s", states.QUEUED))
        callbacks = self.env["spp.payment.callback"]
        for fsp, payments in queued._spp_by_fsp().items():
            fsp._spp_send_payments(payments)
            if not fsp._spp_supports_status_query():
                continue  # manual and file FSPs send no callbacks
            # Callbacks committed while the FSP was being called are not in
            # this transaction's snapshot: a job of its own applies them.
            callbacks.with_delay(
                description=self.env._("%s: apply pending callbacks", fsp.name),
                identity_key=f"spp.payment.callback:pending:{fsp.id}",
            )._job_apply_pending(fsp.id)
        return queued
