# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.tools import SQL


class SppPayment(models.Model):
    _inherit = "spp.payment"

    def _spp_transition(
        self, target, reason=None, values=None, skip_same=True, details=None
    ):
        moved = super()._spp_transition(
            target, reason=reason, values=values, skip_same=skip_same, details=details
        )
        if moved:
            # A settlement's payment moved (however: reply, callback,
            # decision): its entry follows. Every move that changes its
            # positions (queued, paid, failed, rejected, reversed) wrote the
            # settlement's state in the transition's own statement
            # (spp_voucher_settlement), with this transaction's time: the
            # settlements to post, found without the moved ids (a million-id
            # array costs seconds) in a table of one row per merchant period.
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM spp_merchant_settlement "
                    "WHERE payment_id IS NOT NULL "
                    "AND write_date >= now() at time zone 'utc'"
                )
            )
            settlements = self.env["spp.merchant.settlement"].browse(
                sorted(row[0] for row in self.env.cr.fetchall())
            )
            settlements._spp_books_post("merchant_settlement")
        return moved

    def _spp_account_moves_where(self):
        """A settlement's payment: its settlement's entries; a voucher's
        payment: the entries of its payroll's vouchers issued and of its own
        vouchers' releases."""
        where = super()._spp_account_moves_where()
        own = SQL(
            """
            (m.spp_merchant_settlement_id IS NOT NULL
             AND m.spp_merchant_settlement_id = %(settlement)s)
            OR (m.spp_payroll_id = %(payroll)s AND m.spp_event = 'voucher_issue'
                AND EXISTS (SELECT 1 FROM spp_voucher v
                             WHERE v.payment_id = %(payment)s))
            OR EXISTS (SELECT 1 FROM spp_voucher_release r
                         JOIN spp_voucher v ON v.id = r.voucher_id
                        WHERE v.payment_id = %(payment)s
                          AND r.account_move_id = m.id)
            """,
            settlement=self.merchant_settlement_id.id or None,
            payroll=self.payroll_id.id or None,
            payment=self.id,
        )
        return own if where is None else SQL("(%s) OR %s", where, own)
