# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import states

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, sql

from odoo.addons.spp_payment_base.tools import (
    DerivedMany2one,
    GuardedMany2one,
    SparseMany2one,
    drop_stale_indexes,
    guarded_write,
    is_guarded_write,
    refuse_fields,
    refuse_records,
)

# States in which a payment still stands for its member in its cycle.
LIVE_STATES = (
    "draft",
    "approved",
    "queued",
    "sent",
    "accepted",
    "processing",
    "paid",
    "unknown",
)
UNPAID_STATES = ("failed", "rejected", "reversed")
# Scope of guarded_write() under which the payroll's own code (generation,
# undelivered re-issue, ad-hoc import) puts payments in a payroll. A context
# variable, not a context key: an RPC client can send any context key.
PAYROLL_GUARD = "payroll_payments"
# Which payroll and cycle a payment belongs to: set by the payroll only.
MEMBERSHIP_FIELDS = frozenset(
    {"payroll_id", "excluded_payroll_id", "cycle_id", "live_cycle_id"}
)
# What the payroll's checks conclude (duplicate, cap, balance flags) and the
# computation they rest on: never hand-written on a payroll's payment.
CHECK_FIELDS = frozenset(
    {
        "is_duplicate",
        "duplicate_reason",
        "is_capped",
        "is_over_balance",
        "entitlement_rejected",
        "back_payment_count",
        "amount_breakdown",
    }
)
# Columns that decide who is paid how much, where and through whom: frozen by
# a database trigger once the payroll is submitted, whatever the path.
LOCKED_COLUMNS = (
    "amount",
    "destination",
    "destination_type",
    "partner_id",
    "membership_id",
    "fsp_id",
    "channel",
    "payroll_id",
)
# Set by generation and by the checker's clearing only (action_clear_quarantine).
QUARANTINE_FIELDS = frozenset(
    {
        "is_quarantined",
        "quarantine_reason",
        "quarantine_cleared_uid",
        "quarantine_cleared_date",
    }
)
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"


class SppPayment(models.Model):
    _inherit = "spp.payment"

    # Indexed by (payroll_id, id) below.
    # Kept by triggers a set-based insert takes over (see GuardedMany2one).
    payroll_id = GuardedMany2one("spp.payroll", ondelete="restrict", readonly=True)
    # Indexed by the (cycle_id, ...) indexes below; implied by the payroll, so
    # without a foreign key (see DerivedMany2one).
    cycle_id = DerivedMany2one("spp.payment.cycle", ondelete="restrict", readonly=True)
    # Empty at generation: keys without a per-row check (see SparseMany2one).
    excluded_payroll_id = SparseMany2one(
        "spp.payroll",
        string="Moved Out Of",
        index="btree_not_null",
        readonly=True,
        help="Payroll this flagged payment was moved out of.",
    )
    entitlement_rejected = fields.Boolean(
        readonly=True, help="The cycle's cap or balance policy rejected it."
    )
    is_late = fields.Boolean(
        compute="_compute_is_late", help="Paid after the end of its cycle."
    )
    is_quarantined = fields.Boolean(
        string="Held: Details Changed",
        readonly=True,
        help="The member's destination or a field deciding the amount changed "
        "shortly before generation: the payment is not sent until a Finance "
        "Manager who did not make the change clears it.",
    )
    quarantine_reason = fields.Char(readonly=True)
    quarantine_cleared_uid = SparseMany2one(
        "res.users", string="Quarantine Cleared by", readonly=True
    )
    quarantine_cleared_date = fields.Datetime(readonly=True)

    # The cycle while the payment stands for its member in it (LIVE_STATES);
    # emptied when it fails, is rejected, reversed or cancelled, set again when
    # a retry queues it. Not the state itself in the index below: a payment
    # moving between live states (sent -> paid) then changes no indexed column
    # and PostgreSQL updates it in place (HOT), with no index entry to write.
    live_cycle_id = DerivedMany2one(
        "spp.payment.cycle", string="Live in Cycle", readonly=True
    )

    # A payroll's payments in the lists' order (id desc): the first page of a
    # million-payment payroll is read from the index, not sorted.
    _payroll_id_id = models.Index("(payroll_id, id) WHERE payroll_id IS NOT NULL")

    # Never two live payments for one member in one cycle, whatever the path.
    _one_live_payment_per_member_cycle = models.UniqueIndex(
        "(live_cycle_id, membership_id) WHERE live_cycle_id IS NOT NULL",
        "This member already has a payment in this cycle.",
    )

    def init(self):
        result = super().init()
        self._spp_create_payroll_lock_trigger()
        self._spp_migrate_live_cycle()
        # Duplicate flagging now groups the cycle's live payments instead.
        drop_stale_indexes(
            self.env.cr,
            self._table,
            (
                "spp_payment__cycle_id_index",
                "spp_payment_cycle_destination_idx",
                "spp_payment_cycle_partner_idx",
                "spp_payment_one_live_payment_per_cycle",
                # Replaced by (payroll_id, id).
                "spp_payment__payroll_id_index",
            ),
        )
        return result

    def _spp_migrate_live_cycle(self):
        """Fill live_cycle_id on a database whose uniqueness was still kept by
        the state-based index of earlier versions."""
        cr = self.env.cr
        if not sql.index_exists(cr, "spp_payment_one_live_payment_per_cycle"):
            return
        cr.execute(
            SQL(
                "UPDATE spp_payment SET live_cycle_id = cycle_id "
                "WHERE cycle_id IS NOT NULL AND state IN %s",
                LIVE_STATES,
            )
        )

    def _spp_create_payroll_lock_trigger(self):
        """Refuse, in the database, changing the money columns of a payment of
        a submitted or approved payroll, moving it in or out, and deleting it:
        the last line behind the ORM checks, for every SQL path. Transitions
        set none of these columns, so the trigger never fires for them (the
        column list and WHEN clause are checked before any function call)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION spp_payment_payroll_lock()
                RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (
                        SELECT 1 FROM spp_payroll
                         WHERE id IN (OLD.payroll_id,
                                      CASE WHEN TG_OP = 'UPDATE'
                                           THEN NEW.payroll_id END)
                           AND approval_state <> 'draft'
                    ) THEN
                        RAISE EXCEPTION USING
                            ERRCODE = 'check_violation',
                            MESSAGE = 'Payment ' || OLD.reference || ' belongs '
                                || 'to a submitted or approved payroll: its '
                                || 'amount, destination, beneficiary, FSP and '
                                || 'payroll are locked.';
                    END IF;
                    IF TG_OP = 'DELETE' THEN
                        RETURN OLD;
                    END IF;
                    RETURN NEW;
                END $$
                """
            )
        )
        changed = SQL(" OR ").join(
            SQL(
                "OLD.%s IS DISTINCT FROM NEW.%s",
                SQL.identifier(column),
                SQL.identifier(column),
            )
            for column in LOCKED_COLUMNS
        )
        cr.execute(
            SQL(
                """
                DROP TRIGGER IF EXISTS spp_payment_payroll_lock_update ON spp_payment;
                CREATE TRIGGER spp_payment_payroll_lock_update
                    BEFORE UPDATE OF %(columns)s ON spp_payment FOR EACH ROW
                    WHEN (%(changed)s)
                    EXECUTE FUNCTION spp_payment_payroll_lock();
                DROP TRIGGER IF EXISTS spp_payment_payroll_lock_delete ON spp_payment;
                CREATE TRIGGER spp_payment_payroll_lock_delete
                    BEFORE DELETE ON spp_payment FOR EACH ROW
                    WHEN (OLD.payroll_id IS NOT NULL)
                    EXECUTE FUNCTION spp_payment_payroll_lock();
                """,
                columns=SQL(", ").join(SQL.identifier(c) for c in LOCKED_COLUMNS),
                changed=changed,
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        self._spp_check_payroll_entry(vals_list)
        for vals in vals_list:
            if not is_guarded_write("payment_state"):
                self._spp_refuse_quarantine_vals(vals)
            live = vals.get("state", "draft") in LIVE_STATES
            vals["live_cycle_id"] = live and vals.get("cycle_id") or False
        return super().create(vals_list)

    def _spp_check_payroll_entry(self, vals_list):
        """Payments enter a payroll only through the payroll's own code, and
        only while it is a draft, whoever calls (sudo included)."""
        named = [vals for vals in vals_list if vals.get("payroll_id")]
        if any(vals.get("excluded_payroll_id") for vals in vals_list) or (
            named and not is_guarded_write(PAYROLL_GUARD)
        ):
            raise UserError(
                self.env._(
                    "Payments enter a payroll only through its generation, an "
                    "undelivered payroll or its import; nothing was created."
                )
            )
        payrolls = self.env["spp.payroll"].browse(
            {vals["payroll_id"] for vals in named}
        )
        payrolls.sudo()._spp_check_payments_open()

    def write(self, vals):
        if not is_guarded_write(PAYROLL_GUARD):
            self._spp_check_payroll_fields(vals)
        return super().write(vals)

    def _spp_check_payroll_fields(self, vals):
        moved = MEMBERSHIP_FIELDS & vals.keys()
        refuse_fields(
            moved,
            self.env._(
                "A payment's payroll and cycle are set by the payroll; %s "
                "cannot be written.",
            ),
        )
        checked = CHECK_FIELDS & vals.keys()
        if checked and self.filtered("payroll_id"):
            refuse_fields(
                checked,
                self.env._(
                    "%s are the payroll's checks and follow from them; edit the "
                    "payment and submit again to re-run them.",
                ),
            )

    def _on_spp_edited(self):
        """An edit of a generated payment: its payroll's checks run again at
        submission, and the editor may no longer review the payroll."""
        result = super()._on_spp_edited()
        self.payroll_id._spp_mark_lines_edited()
        return result

    def _spp_state_assignments(self, target, values, with_details):
        assignments = super()._spp_state_assignments(target, values, with_details)
        if target in LIVE_STATES:
            # The same value on a live payment: no indexed column changes.
            assignments.append(SQL("live_cycle_id = p.cycle_id"))
        else:
            assignments.append(SQL("live_cycle_id = NULL"))
        return assignments

    def _spp_transition(
        self, target, reason=None, values=None, skip_same=True, details=None
    ):
        moved = super()._spp_transition(
            target, reason, values=values, skip_same=skip_same, details=details
        )
        # Queued payments have no attempt yet: _set_queued refreshes once it
        # has created them. Payments are approved by their payroll's approval,
        # which refreshes it once for all of them; a caller moving payments in
        # several transitions may refresh their payrolls once at its end.
        if (
            moved
            and target not in (states.QUEUED, states.APPROVED)
            and not self.env.context.get("spp_payroll_status_later")
        ):
            self.env["spp.payroll"]._spp_refresh_status_of_payments(moved.ids, target)
        return moved

    def _set_queued(self, reason=None, skip_exhausted=False):
        queued = super()._set_queued(reason=reason, skip_exhausted=skip_exhausted)
        if queued:
            self.env["spp.payroll"]._spp_refresh_status_of_payments(
                queued.ids, states.QUEUED
            )
        return queued

    def _compute_is_late(self):
        for payment in self:
            payment.is_late = bool(
                payment.cycle_id
                and payment.paid_date
                and payment.cycle_id._spp_is_late(payment.paid_date.date())
            )

    def _spp_check_write(self, vals):
        self._spp_refuse_quarantine_vals(vals, any_value=True)
        result = super()._spp_check_write(vals)
        if vals.keys() - {"note"}:
            self._spp_check_payroll_draft()
        return result

    def _spp_refuse_quarantine_vals(self, vals, any_value=False):
        """A payment is created unheld; no write sets or lifts a hold."""
        given = QUARANTINE_FIELDS & vals.keys()
        if given and (any_value or any(vals[name] for name in given)):
            refuse_fields(
                given,
                self.env._(
                    "The quarantine of a payment is set by generation and cleared "
                    "by a checker: %s cannot be written.",
                ),
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_payroll_submitted(self):
        # Guarded or not: a submitted payroll's payments are never deleted.
        self._spp_check_payroll_draft()

    def _spp_check_payroll_draft(self):
        refuse_records(
            self.payroll_id.filtered(lambda p: p.approval_state != "draft"),
            self.env._("Payroll %s is submitted or approved: its payments are locked."),
        )

    def action_remove_from_payroll(self):
        """Remove payments from their draft payroll (e.g. a confirmed duplicate)."""
        self.payroll_id.check_access("write")
        self._spp_check_payroll_draft()
        drafts = self.filtered(lambda p: p.state == "draft")
        if drafts != self:
            raise UserError(self.env._("Only draft payments can be removed."))
        # The removal is evidence too: a change of payroll_id to nothing.
        self.env["spp.payment.change"]._spp_record_before(drafts, ["payroll_id"])
        payrolls = drafts.payroll_id
        with guarded_write("payment_state"):
            drafts.sudo().unlink()
        payrolls._spp_mark_lines_edited()
        return True

    # Quarantine ----------------------------------------------------------

    def action_clear_quarantine(self):
        """A Finance Manager who made none of the changes releases held payments
        for execution; the changes that held them are marked cleared and each
        payment's history records who cleared it."""
        if not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(
                self.env._("Only a Finance Manager clears held payments.")
            )
        self.check_access("write")
        held = self.filtered("is_quarantined")
        if held != self:
            raise UserError(self.env._("Not held: %s.", self._spp_refs(self - held)))
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(self._spp_quarantine_changes_sql(SQL("c.user_id")))
        if self.env.uid in {row[0] for row in cr.fetchall()}:
            raise AccessError(
                self.env._(
                    "You changed the details that hold these payments: another "
                    "Finance Manager clears them."
                )
            )
        reason = self.env._("Quarantine cleared by %s.", self.env.user.name)
        cr.execute(
            SQL(
                """
                WITH changes AS (%(changes)s),
                cleared AS (
                    UPDATE spp_destination_change c
                       SET cleared_uid = %(uid)s, cleared_date = %(now)s
                      FROM changes WHERE c.id = changes.id
                ),
                released AS (
                    UPDATE spp_payment p
                       SET is_quarantined = FALSE, quarantine_cleared_uid = %(uid)s,
                           quarantine_cleared_date = %(now)s
                     WHERE p.id = ANY(%(ids)s) AND p.is_quarantined
                 RETURNING p.id, p.state, p.current_attempt_id
                )
                INSERT INTO spp_payment_event
                    (payment_id, attempt_id, old_state, new_state, reason, user_id,
                     date)
                SELECT id, current_attempt_id, state, state, %(reason)s, %(uid)s,
                       %(now)s
                  FROM released
                """,
                changes=self._spp_quarantine_changes_sql(SQL("c.id")),
                uid=self.env.uid,
                now=cr.now(),
                ids=self.ids,
                reason=reason,
            )
        )
        self.invalidate_recordset()
        self.payroll_id._spp_refresh_totals()
        self.env["spp.destination.change"].invalidate_model()
        self.env["spp.payment.event"].invalidate_model()
        return True

    def _spp_quarantine_changes_sql(self, column):
        """``column`` of the uncleared changes that held these payments: their
        member's or registrant's changes in the program's window before the
        payment was generated."""
        return SQL(
            """
            SELECT %(column)s
              FROM spp_payment p
              JOIN spp_program pr ON pr.id = p.program_id
              JOIN spp_destination_change c
                ON c.membership_id = p.membership_id
                OR (c.membership_id IS NULL AND c.partner_id = p.partner_id)
             WHERE p.id = ANY(%(ids)s) AND c.cleared_date IS NULL
               AND c.change_date <= p.create_date
               AND c.change_date >= p.create_date
                   - make_interval(days => pr.destination_quarantine_days)
            """,
            column=column,
            ids=self.ids,
        )


class SppPaymentChange(models.Model):
    _inherit = "spp.payment.change"

    payroll_id = fields.Many2one(
        "spp.payroll", index="btree_not_null", ondelete="set null", readonly=True
    )

    def _spp_extra_columns(self):
        return {**super()._spp_extra_columns(), "payroll_id": SQL("p.payroll_id")}


class SppPaymentCycle(models.Model):
    _inherit = "spp.payment.cycle"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_paid_in(self):
        self.env["spp.payment"]._spp_refuse_unlink_of(self, "cycle_id")
