# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL


class SppReconciliation(models.Model):
    _name = "spp.reconciliation"
    _inherit = ["spp.reconciliation", "spp.account.move.mixin"]
    _spp_move_field = "spp_reconciliation_id"

    account_move_ids = fields.One2many(
        "account.move", "spp_reconciliation_id", string="Journal Entries", readonly=True
    )

    def _spp_apply(self):
        # Overpayments the batch reveals go in its own entry, not one of theirs.
        result = super(
            SppReconciliation, self.with_context(spp_account_defer=True)
        )._spp_apply()
        # Accepting the batch posts what it paid, returned and reversed, for
        # every payroll it settled: refused (and the batch not accepted) if
        # an account is missing.
        self._spp_settled_payrolls()._spp_account_post(
            "reconciliation", reconciliation=self
        )
        return result

    def _spp_settled_payrolls(self):
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT p.payroll_id
                  FROM spp_reconciliation_line l
                  JOIN spp_payment p ON p.id = l.payment_id
                 WHERE l.reconciliation_id = %s AND p.payroll_id IS NOT NULL
                """,
                self.id,
            )
        )
        ids = {row[0] for row in self.env.cr.fetchall()} | set(self.payroll_id.ids)
        return self.env["spp.payroll"].browse(sorted(ids))
