# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL


class SppPayment(models.Model):
    _inherit = "spp.payment"

    # Computed, never stored: entries are summaries, and a table linking a
    # million payments to them would cost more than the entries themselves.
    account_move_ids = fields.Many2many(
        "account.move",
        string="Journal Entries",
        compute="_compute_account_move_ids",
        compute_sudo=True,
        help="The summarised entries that carry this payment's money: those of "
        "its payroll and FSP (execution, settlement, overpayments) and the "
        "reconciliations that named it.",
    )

    def _compute_account_move_ids(self):
        self.env["account.move"].flush_model()
        for payment in self:
            where = payment._spp_account_moves_where() if payment.id else None
            if where is None:
                payment.account_move_ids = False
                continue
            self.env.cr.execute(
                SQL("SELECT m.id FROM account_move m WHERE %s ORDER BY m.id", where)
            )
            payment.account_move_ids = [row[0] for row in self.env.cr.fetchall()]

    def _spp_account_moves_where(self):
        """The condition on ``m`` (account_move) naming the entries that carry
        this payment, or None: those of its payroll and FSP (execution,
        settlement, overpayments) and the reconciliations that named it.
        Extended by the documents posting their own entries (floats,
        merchant settlements, voucher releases)."""
        self.ensure_one()
        if not self.payroll_id:
            return None
        return SQL(
            """
            m.spp_payroll_id = %(payroll)s AND m.spp_fsp_id = %(fsp)s
            AND (m.spp_reconciliation_id IS NULL OR EXISTS (
                 SELECT 1 FROM spp_reconciliation_line l
                  WHERE l.reconciliation_id = m.spp_reconciliation_id
                    AND l.payment_id = %(payment)s))
            """,
            payroll=self.payroll_id.id,
            fsp=self.fsp_id.id or None,
            payment=self.id,
        )
