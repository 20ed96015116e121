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

    def _spp_apply_lines(self, lines=None):
        # Overpayments the batch reveals go in its own entry, not one of theirs.
        return super(
            SppReconciliation, self.with_context(spp_account_defer=True)
        )._spp_apply_lines(lines)

    def _spp_finish_apply(self, payroll_ids):
        result = super()._spp_finish_apply(payroll_ids)
        # Accepting the batch posts what it paid, returned and reversed, for
        # every payroll it settled: refused (and the batch not accepted) if
        # an account is missing. A batch applied in slices checked that
        # before its first slice (_spp_check_can_apply).
        self._spp_settled_payrolls()._spp_account_post(
            "reconciliation", reconciliation=self
        )
        return result

    def _spp_check_can_apply(self):
        """The accounts its entry needs, for every payroll and FSP the batch
        settles: refused before a slice moves a payment, rather than after
        the last."""
        result = super()._spp_check_can_apply()
        for payroll_id, fsp_id in self._spp_settled_payroll_fsps():
            payroll = self.env["spp.payroll"].browse(payroll_id)
            if fsp_id and payroll.program_id.account_posting:
                payroll._spp_account_check_config(self.env["spp.fsp"].browse(fsp_id))
        return result

    def _spp_settled_payroll_fsps(self):
        """[(payroll id, FSP id)] of the payments the batch's lines name."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT p.payroll_id, p.fsp_id
                  FROM spp_reconciliation_line l
                  JOIN spp_payment p ON p.id = l.payment_id
                 WHERE l.reconciliation_id = %s AND p.payroll_id IS NOT NULL
                """,
                self.id,
            )
        )
        return self.env.cr.fetchall()

    def _spp_settled_payrolls(self):
        ids = {payroll_id for payroll_id, _fsp in self._spp_settled_payroll_fsps()}
        ids |= set(self.payroll_id.ids)
        return self.env["spp.payroll"].browse(sorted(ids))
