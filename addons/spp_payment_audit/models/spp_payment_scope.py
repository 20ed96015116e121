# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

SCOPES = [
    ("payroll", "Payroll"),
    ("program", "Program"),
    ("period", "Date Range"),
]


class SppPaymentScopeMixin(models.AbstractModel):
    """Which payments a report covers: one payroll, one program, or the cycles
    of a date range (of one program, or of all). Read in SQL (``_spp_scope_sql``)
    and always limited to the companies the user works in."""

    _name = "spp.payment.scope.mixin"
    _description = "Payments Covered by a Report"

    scope = fields.Selection(SCOPES, required=True, default="payroll")
    payroll_id = fields.Many2one("spp.payroll", ondelete="cascade")
    program_id = fields.Many2one("spp.program", ondelete="cascade")
    date_from = fields.Date()
    date_to = fields.Date()

    @api.onchange("payroll_id")
    def _onchange_payroll_id(self):
        if self.payroll_id:
            self.program_id = self.payroll_id.program_id

    def _spp_check_scope(self):
        """A clear error for an incomplete scope; the scope's records must be
        readable by the user (record rules: their companies)."""
        self.ensure_one()
        if self.scope == "payroll" and not self.payroll_id:
            raise UserError(self.env._("Choose the payroll to report on."))
        if self.scope == "program" and not self.program_id:
            raise UserError(self.env._("Choose the program to report on."))
        if self.scope == "period":
            if not (self.date_from and self.date_to):
                raise UserError(self.env._("Give both dates of the range."))
            if self.date_from > self.date_to:
                raise UserError(self.env._("The range ends before it starts."))
        for record in (self.payroll_id, self.program_id):
            if record:
                record.check_access("read")
        self.env["spp.payment"].check_access("read")

    def _spp_scope_sql(self, alias="p"):
        """WHERE clause selecting the scope's payments (table alias ``alias``).

        A date range selects the payments of the cycles whose period overlaps
        it: a payment belongs to the period it pays for, whenever it was sent."""
        self.ensure_one()
        p = SQL.identifier(alias)
        companies = SQL("%s.company_id = ANY(%s)", p, list(self._spp_company_ids()))
        if self.scope == "payroll":
            where = SQL("%s.payroll_id = %s", p, self.payroll_id.id)
        elif self.scope == "program":
            where = SQL("%s.program_id = %s", p, self.program_id.id)
        else:
            where = SQL(
                "%s.cycle_id IN (SELECT id FROM spp_payment_cycle "
                "WHERE date_start <= %s AND date_end >= %s)",
                p,
                self.date_to,
                self.date_from,
            )
            if self.program_id:
                where = SQL("%s AND %s.program_id = %s", where, p, self.program_id.id)
        return SQL("%s AND %s", where, companies)

    def _spp_company_ids(self):
        """The companies whose payments the user may read, as the payment
        company rule has them: SQL bypasses record rules, so this says it."""
        return self.env.companies.ids

    def _spp_scope_label(self):
        self.ensure_one()
        if self.scope == "payroll":
            return self.payroll_id.display_name
        if self.scope == "program":
            return self.program_id.display_name
        label = f"{self.date_from} - {self.date_to}"
        if self.program_id:
            label = f"{self.program_id.display_name}, {label}"
        return label
