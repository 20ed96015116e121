# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.spp_payment_base.models.spp_payment import CHANNELS
from odoo.addons.spp_payment_base.tools import is_guarded_write

# Scope of guarded_write() under which code may write staging lines by ORM.
ADHOC_GUARD = "adhoc_lines"


class SppPayrollAdhocLine(models.Model):
    """A new payee of an ad-hoc payroll, as uploaded: no partner, membership
    or payment exists for them until the payroll is approved (a payment needs
    its beneficiary, and a rejected payroll must not have added anyone to the
    registry). Written in bulk by the import and the approval, never by hand."""

    _name = "spp.payroll.adhoc.line"
    _description = "Ad-hoc Payroll New Payee"
    _order = "payroll_id, row, id"

    payroll_id = fields.Many2one(
        "spp.payroll", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="payroll_id.currency_id")
    row = fields.Integer(readonly=True, help="Row of the file, the header being 1.")
    name = fields.Char(required=True, readonly=True)
    phone_e164 = fields.Char(string="Mobile (E.164)", readonly=True)
    national_id = fields.Char(string="National ID", readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    channel = fields.Selection(CHANNELS, required=True, readonly=True)
    fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True)
    destination_type = fields.Selection(
        [("msisdn", "Mobile Money"), ("bank", "Bank Account"), ("other", "Other")],
        readonly=True,
    )
    destination = fields.Char(readonly=True)
    is_duplicate = fields.Boolean(string="Duplicate Flag", readonly=True)
    duplicate_reason = fields.Char(readonly=True)
    state = fields.Selection(
        [
            ("staged", "Awaiting Approval"),
            ("created", "Payee Created"),
            ("excluded", "Moved Out (Duplicate)"),
        ],
        default="staged",
        required=True,
        readonly=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Payee", readonly=True, ondelete="restrict"
    )
    payment_id = fields.Many2one("spp.payment", readonly=True, ondelete="set null")

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "An ad-hoc payment amount must be positive."
    )

    # The import and the approval write these rows in SQL; through the ORM
    # they are read-only for everyone, administrators and sudo() included,
    # except under the guard (a context variable, which no RPC can set).
    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(ADHOC_GUARD):
            raise UserError(
                self.env._("New payees come from an ad-hoc payroll's file upload.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_guarded_write(ADHOC_GUARD):
            raise UserError(
                self.env._("New payees of an ad-hoc payroll cannot be edited.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        if is_guarded_write(ADHOC_GUARD):
            return
        raise UserError(
            self.env._("New payees leave an ad-hoc payroll with the payroll only.")
        )
