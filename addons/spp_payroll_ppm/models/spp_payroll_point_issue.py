# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError, ValidationError


class SppPayrollPointIssue(models.Model):
    """A payment of a PPM payroll whose member matches no payment point, or
    several: the officer assigns it to a point or excludes it from the payroll
    before submission."""

    _name = "spp.payroll.point.issue"
    _description = "Payment Point Decision"
    _order = "payroll_id, id"

    payroll_id = fields.Many2one(
        "spp.payroll", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="payroll_id.company_id", store=True)
    payment_id = fields.Many2one(
        "spp.payment", required=True, index=True, ondelete="cascade", readonly=True
    )
    partner_id = fields.Many2one(related="payment_id.partner_id", string="Beneficiary")
    registrant_number = fields.Char(related="payment_id.partner_id.registrant_number")
    currency_id = fields.Many2one(related="payment_id.currency_id")
    amount = fields.Monetary(related="payment_id.amount")
    reason = fields.Selection(
        [("none", "Matches no payment point"), ("several", "Matches several points")],
        required=True,
        readonly=True,
    )
    candidate_point_ids = fields.Many2many(
        "spp.payment.point",
        "spp_payroll_point_issue_candidate_rel",
        "issue_id",
        "point_id",
        string="Matching Points",
        readonly=True,
    )
    decision = fields.Selection(
        [
            ("undecided", "To decide"),
            ("assign", "Assigned to a point"),
        ],
        default="undecided",
        required=True,
        readonly=True,
    )
    point_id = fields.Many2one(
        "spp.payment.point",
        string="Assign To",
        domain="[('approval_state', '=', 'approved'), ('state', '=', 'active')]",
    )

    _one_per_payment = models.Constraint(
        "UNIQUE(payment_id)", "A payment waits for one decision at a time."
    )

    def write(self, vals):
        if vals.keys() - {"point_id"}:
            raise UserError(self.env._("Choose the point to assign the member to."))
        self.payroll_id._spp_check_payments_open()
        if vals.get("point_id"):
            point = self.env["spp.payment.point"].browse(vals["point_id"])
            if point.approval_state != "approved" or point.state != "active":
                raise ValidationError(
                    self.env._(
                        "%s is not an approved, active payment point.", point.code
                    )
                )
            vals = dict(vals, decision="assign")
        else:
            vals = dict(vals, decision="undecided")
        result = super().write(vals)
        self.payroll_id._spp_record_contributor("lines")
        return result

    def action_exclude(self):
        """Exclude the members from the payroll (their payments are removed,
        as a removal by hand is, and recorded among the payment changes)."""
        self.payroll_id._spp_check_payments_open()
        self.payment_id.action_remove_from_payroll()
        return True
