# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from spp_payment_core import entitlement

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class SppPaymentCycle(models.Model):
    """What each member of a program is entitled to in one period."""

    _name = "spp.payment.cycle"
    _inherit = ["spp.approval.mixin"]
    _description = "Payment Cycle"
    _order = "date_start desc, id desc"

    name = fields.Char(required=True, tracking=True)
    program_id = fields.Many2one(
        "spp.program",
        required=True,
        index=True,
        ondelete="restrict",
        domain=[("approval_state", "=", "approved")],
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    date_start = fields.Date(required=True)
    date_end = fields.Date(
        required=True, help="A payment confirmed after this date is flagged late."
    )
    fixed_amount = fields.Monetary(
        currency_field="currency_id", help="Paid to every selected member; may be 0."
    )
    rule_ids = fields.One2many("spp.payment.rule", "cycle_id", string="Components")
    has_cap = fields.Boolean(string="Cap per Payment")
    cap_amount = fields.Monetary(currency_field="currency_id")
    cap_policy = fields.Selection(
        [(entitlement.PAY_CAP, "Pay the cap"), (entitlement.REJECT, "Reject and flag")],
        default=entitlement.PAY_CAP,
        required=True,
    )
    balance_policy = fields.Selection(
        [
            (entitlement.RESTRICT, "Restrict to the remaining balance"),
            (entitlement.REJECT, "Reject and flag"),
        ],
        default=entitlement.RESTRICT,
        required=True,
        help="For balance programs: what to do with a payment above the "
        "beneficiary's remaining entitlement.",
    )
    back_payment_limit = fields.Integer(
        help="Uncollected past payments added to this one, at most (0: none).",
    )
    ppm_carry_limit = fields.Monetary(
        string="Payment Point Manager Carry Limit",
        currency_field="currency_id",
        help="Most cash one payment point manager may carry for this cycle.",
    )

    _dates_ordered = models.Constraint(
        "CHECK(date_end >= date_start)", "A cycle cannot end before it starts."
    )
    _amounts_positive = models.Constraint(
        "CHECK(fixed_amount >= 0 AND (cap_amount IS NULL OR cap_amount >= 0) "
        "AND back_payment_limit >= 0)",
        "Amounts, caps and limits cannot be negative.",
    )

    @api.constrains("program_id")
    def _check_program_approved(self):
        for cycle in self:
            if cycle.program_id.approval_state != "approved":
                raise ValidationError(
                    self.env._(
                        "Program %s is not approved: it cannot have cycles yet.",
                        cycle.program_id.display_name,
                    )
                )

    def _spp_check_can_submit(self):
        if self.has_cap and not self.cap_amount:
            raise UserError(self.env._("Set the cap amount or remove the cap."))

    def _spp_entitlement_rules(self):
        """The cycle as the core library's ``Rules``."""
        self.ensure_one()
        places = self.currency_id.decimal_places
        return entitlement.Rules(
            fixed_amount=_decimal(self.fixed_amount),
            components=tuple(rule._spp_component() for rule in self.rule_ids),
            cap=_decimal(self.cap_amount) if self.has_cap else None,
            cap_policy=self.cap_policy,
            balance_policy=self.balance_policy,
            back_payment_limit=self.back_payment_limit,
            decimal_places=places,
        )

    def _spp_is_late(self, date):
        self.ensure_one()
        return bool(date) and fields.Date.to_date(date) > self.date_end


def _decimal(value):
    # Monetary values come from NUMERIC columns as floats; str() keeps their
    # shortest exact decimal form.
    return Decimal(str(value or 0))
