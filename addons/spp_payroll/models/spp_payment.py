# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, sql

from odoo.addons.spp_payment_base.tools import (
    DerivedMany2one,
    drop_stale_indexes,
    guarded_write,
    is_guarded_write,
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


class SppPayment(models.Model):
    _inherit = "spp.payment"

    payroll_id = fields.Many2one(
        "spp.payroll", index=True, ondelete="restrict", readonly=True
    )
    # Indexed by the (cycle_id, ...) indexes below; implied by the payroll, so
    # without a foreign key (see DerivedMany2one).
    cycle_id = DerivedMany2one("spp.payment.cycle", ondelete="restrict", readonly=True)
    excluded_payroll_id = fields.Many2one(
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

    # The cycle while the payment stands for its member in it (LIVE_STATES);
    # emptied when it fails, is rejected, reversed or cancelled, set again when
    # a retry queues it. Not the state itself in the index below: a payment
    # moving between live states (sent -> paid) then changes no indexed column
    # and PostgreSQL updates it in place (HOT), with no index entry to write.
    live_cycle_id = DerivedMany2one(
        "spp.payment.cycle", string="Live in Cycle", readonly=True
    )

    # Never two live payments for one member in one cycle, whatever the path.
    _one_live_payment_per_member_cycle = models.UniqueIndex(
        "(live_cycle_id, membership_id) WHERE live_cycle_id IS NOT NULL",
        "This member already has a payment in this cycle.",
    )

    def init(self):
        result = super().init()
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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            live = vals.get("state", "draft") in LIVE_STATES
            vals["live_cycle_id"] = live and vals.get("cycle_id") or False
        return super().create(vals_list)

    def _spp_state_assignments(self, target, values, with_details):
        assignments = super()._spp_state_assignments(target, values, with_details)
        if target in LIVE_STATES:
            # The same value on a live payment: no indexed column changes.
            assignments.append(SQL("live_cycle_id = p.cycle_id"))
        else:
            assignments.append(SQL("live_cycle_id = NULL"))
        return assignments

    def _compute_is_late(self):
        for payment in self:
            payment.is_late = bool(
                payment.cycle_id
                and payment.paid_date
                and payment.cycle_id._spp_is_late(payment.paid_date.date())
            )

    def _spp_check_write(self, vals):
        result = super()._spp_check_write(vals)
        if vals.keys() - {"note"}:
            self._spp_check_payroll_draft()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_payroll_submitted(self):
        if not is_guarded_write("payment_state"):
            self._spp_check_payroll_draft()

    def _spp_check_payroll_draft(self):
        locked = self.payroll_id.filtered(lambda p: p.approval_state != "draft")
        if locked:
            raise UserError(
                self.env._(
                    "Payroll %s is submitted or approved: its payments are locked.",
                    ", ".join(locked.mapped("display_name")),
                )
            )

    def action_remove_from_payroll(self):
        """Remove payments from their draft payroll (e.g. a confirmed duplicate)."""
        self.payroll_id.check_access("write")
        self._spp_check_payroll_draft()
        drafts = self.filtered(lambda p: p.state == "draft")
        if drafts != self:
            raise UserError(self.env._("Only draft payments can be removed."))
        with guarded_write("payment_state"):
            drafts.sudo().unlink()
        return True


class SppPaymentCycle(models.Model):
    _inherit = "spp.payment.cycle"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_paid_in(self):
        self.env["spp.payment"]._spp_refuse_unlink_of(self, "cycle_id")
