# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A merchant settlement in the books: what its payment stands for, held by
the FSP (approved for sending or in flight) or paid, moved out of the
program's voucher clearing account. Posted as positions (spp.account.source)
when the settlement is approved and whenever its payment moves: one entry per
settlement and currency each time, never twice."""

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.spp_payment_account.models.spp_account_source import to_decimal
from odoo.addons.spp_payment_account.models.spp_payroll import IN_FLIGHT_STATES

POSITIONS = ("settlement_clearing", "settlement_paid")
# Approved: the settlement's approval queued its sending (a job): the money
# is the FSP's to pay from then on.
HELD_STATES = ("approved", *IN_FLIGHT_STATES)


class SppMerchantSettlement(models.Model):
    _name = "spp.merchant.settlement"
    _inherit = [
        "spp.merchant.settlement",
        "spp.account.move.mixin",
        "spp.account.source",
    ]

    _spp_move_field = "spp_merchant_settlement_id"
    _spp_books_positions = POSITIONS

    account_move_ids = fields.One2many(
        "account.move",
        "spp_merchant_settlement_id",
        string="Journal Entries",
        readonly=True,
    )

    def _spp_books_enabled(self):
        return self.filtered("program_id.account_posting")

    def _spp_books_targets(self):
        self.env["spp.payment"].flush_model()
        self.flush_model()
        paid = SQL("LEAST(COALESCE(p.paid_amount, p.amount), p.amount)")
        self.env.cr.execute(
            SQL(
                """
                SELECT s.id, p.currency_id,
                       CASE WHEN p.state IN %(held)s THEN p.amount ELSE 0 END,
                       CASE WHEN p.state = 'paid' THEN %(paid)s ELSE 0 END
                  FROM spp_merchant_settlement s
                  JOIN spp_payment p ON p.id = s.payment_id
                 WHERE s.id = ANY(%(ids)s)
                """,
                held=HELD_STATES,
                paid=paid,
                ids=list(self.ids),
            )
        )
        return {
            (settlement_id, currency_id): dict(
                zip(POSITIONS, map(to_decimal, figures), strict=True)
            )
            for settlement_id, currency_id, *figures in self.env.cr.fetchall()
        }

    def _spp_books_move_vals(self, currency, delta, event):
        program = self.program_id
        _journal, voucher, clearing, expense = program._spp_voucher_accounts(
            self.name,
            (
                self.env._("clearing account of FSP %s", self.fsp_id.name),
                self.fsp_id.account_clearing_id,
            ),
            (self.env._("program expense account"), program.account_expense_id),
        )
        lines = [
            (
                clearing,
                delta["settlement_clearing"],
                currency,
                "settlement_clearing",
                self.env._("Settlement sent to the FSP"),
            ),
            (
                expense,
                delta["settlement_paid"],
                currency,
                "settlement_paid",
                self.env._("Paid to the merchant"),
            ),
            (
                voucher,
                -sum(delta.values()),
                currency,
                "voucher_settled",
                self.env._("Vouchers settled to the merchant"),
            ),
        ]
        return self._spp_books_entry(
            lines, event, spp_fsp_id=self.fsp_id.id, spp_payroll_id=False
        )

    def _on_spp_approved(self):
        result = super()._on_spp_approved()
        # The checker's approval hands the amount to the FSP.
        self._spp_books_post("merchant_settlement")
        return result
