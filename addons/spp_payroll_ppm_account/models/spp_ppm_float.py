# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A PPM's float in the books, as positions of its cash-in-hand: issued,
paid out (its payments reconciled paid) and returned (counted when the float
is closed). Each posting moves the difference between the cash-in-hand and
the FSP's clearing account: one entry per float and currency, nothing twice."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_account.models.spp_account_source import to_decimal

POSITIONS = ("ppm_issued", "ppm_handed_out", "ppm_returned")


class SppPpmFloat(models.Model):
    _name = "spp.ppm.float"
    _inherit = ["spp.ppm.float", "spp.account.move.mixin", "spp.account.source"]

    _spp_move_field = "spp_ppm_float_id"
    _spp_books_positions = POSITIONS

    account_move_ids = fields.One2many(
        "account.move", "spp_ppm_float_id", string="Journal Entries", readonly=True
    )

    # Positions ----------------------------------------------------------------

    def _spp_books_enabled(self):
        return self.filtered("payroll_id.program_id.account_posting")

    def _spp_books_targets(self):
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT f.id, pr.currency_id, COALESCE(f.amount_issued, 0),
                       -COALESCE(f.amount_handed_out, 0),
                       CASE WHEN f.state = 'closed'
                            THEN -COALESCE(f.amount_returned, 0) ELSE 0 END
                  FROM spp_ppm_float f
                  JOIN spp_payroll p ON p.id = f.payroll_id
                  JOIN spp_program pr ON pr.id = p.program_id
                 WHERE f.id = ANY(%s)
                """,
                list(self.ids),
            )
        )
        return {
            (float_id, currency_id): dict(
                zip(POSITIONS, map(to_decimal, figures), strict=True)
            )
            for float_id, currency_id, *figures in self.env.cr.fetchall()
        }

    def _spp_books_fsp(self):
        """The FSP whose payments the float carries (the cash provider)."""
        self.ensure_one()
        self.env["spp.payment"].flush_model(["payroll_point_id", "fsp_id"])
        self.env.cr.execute(
            SQL(
                "SELECT fsp_id FROM spp_payment WHERE payroll_point_id = %s "
                "AND fsp_id IS NOT NULL LIMIT 1",
                self.payroll_point_id.id,
            )
        )
        row = self.env.cr.fetchone()
        return self.env["spp.fsp"].browse(row[0] if row else [])

    def _spp_books_program(self):
        return self.payroll_id.program_id

    def _spp_books_move_vals(self, currency, delta, event):
        program = self.payroll_id.program_id
        fsp = self._spp_books_fsp()
        cash, clearing = program.account_ppm_cash_id, fsp.account_clearing_id
        if not cash or not clearing or not program.account_journal_id:
            raise UserError(
                self.env._(
                    "%(float)s cannot be posted to accounting: set the PPM "
                    "cash-in-hand account of program %(program)s and the clearing "
                    "account of FSP %(fsp)s. Nothing was posted.",
                    float=self.name,
                    program=program.name,
                    fsp=fsp.name,
                )
            )
        labels = {
            "ppm_issued": self.env._("Float issued to the PPM"),
            "ppm_handed_out": self.env._("Cash paid out by the PPM"),
            "ppm_returned": self.env._("Float cash returned by the PPM"),
        }
        lines = [
            (cash, delta[position], currency, position, labels[position])
            for position in POSITIONS
        ]
        lines.append(
            (
                clearing,
                -sum(delta.values()),
                currency,
                "ppm_clearing",
                self.env._("Cash of the PPM from the FSP's clearing"),
            )
        )
        return self._spp_books_entry(
            lines,
            event,
            spp_payroll_id=self.payroll_id.id,
            spp_fsp_id=fsp.id,
        )

    # When the float moves (by the server, at the state the float reaches) -----

    @api.model
    def _spp_issue_for(self, payments):
        floats = super()._spp_issue_for(payments)
        payments.sudo().payroll_point_id.float_id._spp_books_post("ppm_float_issued")
        return floats

    def _spp_recompute_handed_out(self):
        result = super()._spp_recompute_handed_out()
        self._spp_books_post("ppm_cash_paid")
        return result

    @api.model
    def _spp_add_handed_out(self, amounts_by_float):
        result = super()._spp_add_handed_out(amounts_by_float)
        self.browse(list(amounts_by_float or []))._spp_books_post("ppm_cash_paid")
        return result

    def action_close(self):
        result = super().action_close()
        # What the PPM brought back, counted at closing.
        self._spp_books_post("ppm_float_returned")
        return result
