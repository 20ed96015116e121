# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class SppProgram(models.Model):
    """A social-protection program. It pays nobody until a checker approves it."""

    _name = "spp.program"
    _inherit = ["spp.approval.mixin"]
    _description = "Program"
    _order = "name"

    _spp_approval_writable_fields = frozenset({"active", "description"})

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(index=True)
    description = fields.Text()
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
    )
    target_type = fields.Selection(
        [("individual", "Individuals"), ("household", "Households")],
        required=True,
        default="household",
    )
    is_balance_based = fields.Boolean(
        string="Entitlement Balance",
        help="Each beneficiary has a total entitlement; payments draw it down and "
        "move the balance only once confirmed paid.",
    )
    default_entitled_total = fields.Monetary(
        string="Default Total Entitlement", currency_field="currency_id"
    )
    missed_payment_policy = fields.Selection(
        [
            ("undelivered_payroll", "Undelivered payroll"),
            ("back_payment", "Back payments in the next payroll"),
            ("none", "No action"),
        ],
        default="undelivered_payroll",
        required=True,
    )
    destination_quarantine_days = fields.Integer(
        string="Payment Detail Quarantine (days)",
        default=30,
        help="A payment is held for a checker when the member's phone, bank "
        "account, FSP, channel, entitlement or amount inputs changed this many "
        "days or fewer before the payroll was generated (0: never).",
    )
    membership_ids = fields.One2many("spp.program.membership", "program_id")
    member_count = fields.Integer(compute="_compute_member_count")
    active = fields.Boolean(default=True)

    _code_company_unique = models.UniqueIndex(
        "(company_id, code) WHERE code IS NOT NULL",
        "A program code must be unique in its company.",
    )
    _quarantine_days_positive = models.Constraint(
        "CHECK(destination_quarantine_days >= 0)",
        "The quarantine period cannot be negative.",
    )

    def write(self, vals):
        result = super().write(vals)
        if "is_balance_based" in vals:
            self.env["spp.program.membership"]._spp_sync_balance_mode(self)
        return result

    def _compute_member_count(self):
        counts = dict(
            self.env["spp.program.membership"]._read_group(
                [("program_id", "in", self.ids)], ["program_id"], ["__count"]
            )
        )
        for program in self:
            program.member_count = counts.get(program, 0)

    def action_view_memberships(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "spp_payment_base.action_spp_program_membership"
        )
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"default_program_id": self.id}
        return action

    @api.depends("code")
    def _compute_display_name(self):
        for program in self:
            program.display_name = (
                f"[{program.code}] {program.name}" if program.code else program.name
            )
