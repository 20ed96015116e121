# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

from odoo import models
from odoo.tools import SQL

from odoo.addons.spp_payment_account.models.spp_account_source import to_decimal


class SppAccountReport(models.TransientModel):
    _inherit = "spp.account.report"

    def _spp_ppm_figures(self, payrolls):
        """[(fsp, issued, handed out, returned)] of the payrolls' floats, per
        FSP of their payments, in one GROUP BY (returned: closed floats)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT (SELECT p.fsp_id FROM spp_payment p
                         WHERE p.payroll_point_id = f.payroll_point_id
                           AND p.fsp_id IS NOT NULL LIMIT 1) AS fsp_id,
                       COALESCE(SUM(f.amount_issued), 0),
                       COALESCE(SUM(f.amount_handed_out), 0),
                       COALESCE(SUM(f.amount_returned)
                                FILTER (WHERE f.state = 'closed'), 0)
                  FROM spp_ppm_float f
                 WHERE f.payroll_id = ANY(%s)
                 GROUP BY 1
                """,
                list(payrolls.ids),
            )
        )
        fsp = self.env["spp.fsp"]
        return [
            (fsp.browse(fsp_id), *map(to_decimal, figures))
            for fsp_id, *figures in self.env.cr.fetchall()
        ]

    def _spp_flow_rows(self, by_bucket, payrolls):
        rows = super()._spp_flow_rows(by_bucket, payrolls)
        figures = self._spp_ppm_figures(payrolls)
        if not figures:
            return rows
        issued = sum((f[1] for f in figures), Decimal(0))
        handed_out = sum((f[2] for f in figures), Decimal(0))
        returned = sum((f[3] for f in figures), Decimal(0))
        bucket = lambda name: by_bucket.get(name, Decimal(0))  # noqa: E731
        cash = self.program_id.account_ppm_cash_id
        return rows + [
            (self.env._("PPM floats issued"), issued, bucket("ppm_issued"), cash),
            (
                self.env._("Cash paid out by PPMs"),
                handed_out,
                -bucket("ppm_handed_out"),
                cash,
            ),
            (
                self.env._("PPM floats returned"),
                returned,
                -bucket("ppm_returned"),
                cash,
            ),
            (
                self.env._("Cash held by PPMs"),
                issued - handed_out - returned,
                bucket("ppm_issued")
                + bucket("ppm_handed_out")
                + bucket("ppm_returned"),
                cash,
            ),
        ]

    def _spp_expect_balances(self, put, payrolls):
        result = super()._spp_expect_balances(put, payrolls)
        # The cash a PPM holds left its FSP's clearing for the cash-in-hand.
        for fsp, issued, handed_out, returned in self._spp_ppm_figures(payrolls):
            held = issued - handed_out - returned
            put(self.program_id.account_ppm_cash_id, held)
            put(fsp.account_clearing_id, -held)
        return result
