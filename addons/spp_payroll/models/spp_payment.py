# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError

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

    # Never two live payments for one member in one cycle, whatever the path.
    _one_live_payment_per_cycle = models.UniqueIndex(
        "(cycle_id, membership_id) WHERE cycle_id IS NOT NULL AND state IN "
        "('draft', 'approved', 'queued', 'sent', 'accepted', 'processing', "
        "'paid', 'unknown')",
        "This member already has a payment in this cycle.",
    )

    def init(self):
        super().init()
        # Duplicate flagging now groups the cycle's live payments instead.
        drop_stale_indexes(
            self.env.cr,
            self._table,
            (
                "spp_payment__cycle_id_index",
                "spp_payment_cycle_destination_idx",
                "spp_payment_cycle_partner_idx",
            ),
        )

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
