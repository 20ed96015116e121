# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import entitlement

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools.safe_eval import safe_eval

from .spp_payment_cycle import _decimal

NUMERIC_TYPES = ("integer", "float", "monetary")


class SppPaymentRule(models.Model):
    """A variable component of a cycle's amount."""

    _name = "spp.payment.rule"
    _description = "Payment Amount Component"
    _order = "cycle_id, sequence, id"

    cycle_id = fields.Many2one(
        "spp.payment.cycle", required=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="cycle_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True)
    code = fields.Char(required=True, help="Key of this component in breakdowns.")
    condition = fields.Char(
        default="[]",
        required=True,
        help="Domain on the program membership, e.g. "
        "[('partner_id.has_disability', '=', True)] or [('fsp_id.name', '=', 'X')].",
    )
    amount = fields.Monetary(currency_field="currency_id", required=True)
    multiplier_field_id = fields.Many2one(
        "ir.model.fields",
        string="Per Unit Of",
        ondelete="cascade",
        domain=[
            ("model", "=", "spp.program.membership"),
            ("ttype", "in", NUMERIC_TYPES),
            ("store", "=", True),
        ],
        help="Pay the amount for each unit of this field (e.g. days worked).",
    )
    counts_toward_cap = fields.Boolean(default=True)

    _code_unique = models.Constraint(
        "UNIQUE(cycle_id, code)", "Component codes are unique within a cycle."
    )

    @api.constrains("condition")
    def _check_condition(self):
        for rule in self:
            try:
                rule._spp_domain()
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "Condition of %(rule)s is not a valid domain: %(error)s",
                        rule=rule.name,
                        error=error,
                    )
                ) from error

    @api.constrains("multiplier_field_id")
    def _check_multiplier(self):
        for rule in self.filtered("multiplier_field_id"):
            if rule.multiplier_field_id.ttype not in NUMERIC_TYPES:
                raise ValidationError(self.env._("The unit field must be numeric."))

    def _spp_domain(self):
        domain = Domain(safe_eval(self.condition or "[]"))
        # Validates field paths now rather than at payroll time.
        self.env["spp.program.membership"]._search(domain)
        return domain

    def _spp_component(self):
        return entitlement.Component(
            code=self.code,
            amount=_decimal(self.amount),
            # Configuration: officers have no access to ir.model.fields.
            multiplier=self.sudo().multiplier_field_id.name or None,
            counts_toward_cap=self.counts_toward_cap,
        )

    # A rule belongs to its cycle's approval: locked once the cycle is submitted.

    @api.model_create_multi
    def create(self, vals_list):
        cycles = self.env["spp.payment.cycle"].browse(
            [vals.get("cycle_id") for vals in vals_list]
        )
        self._spp_check_cycle_draft(cycles)
        return super().create(vals_list)

    def write(self, vals):
        self._spp_check_cycle_draft(self.cycle_id)
        return super().write(vals)

    def unlink(self):
        self._spp_check_cycle_draft(self.cycle_id)
        return super().unlink()

    def _spp_check_cycle_draft(self, cycles):
        locked = cycles.filtered(lambda c: c.approval_state != "draft")
        if locked:
            raise UserError(
                self.env._(
                    "Cycle %s is submitted or approved: its components cannot change.",
                    ", ".join(locked.mapped("display_name")),
                )
            )
        # Whoever changes a cycle's components does not approve the cycle.
        cycles._spp_record_contributor("lines")
