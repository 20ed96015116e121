# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class SppVoucherRelease(models.Model):
    _inherit = "spp.voucher.release"

    # Written in SQL by the posting (a release never changes otherwise).
    account_move_id = fields.Many2one(
        "account.move", string="Journal Entry", readonly=True, index="btree_not_null"
    )

    @api.model
    def _spp_books_post_releases(self):
        """Post the releases no entry carries yet: one entry per payroll and
        currency (their payroll's released position), each release then
        linked to the entry that carried it."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT p.payroll_id
                  FROM spp_voucher_release r
                  JOIN spp_voucher v ON v.id = r.voucher_id
                  JOIN spp_payment p ON p.id = v.payment_id
                 WHERE r.account_move_id IS NULL AND p.payroll_id IS NOT NULL
                """
            )
        )
        payrolls = self.env["spp.payroll"].browse(
            sorted(row[0] for row in self.env.cr.fetchall())
        )
        moves = payrolls._spp_books_post("voucher_release")
        if moves:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE spp_voucher_release r SET account_move_id = m.id
                      FROM spp_voucher v, spp_payment p, account_move m
                     WHERE v.id = r.voucher_id AND p.id = v.payment_id
                       AND m.id = ANY(%s) AND m.spp_payroll_id = p.payroll_id
                       AND r.account_move_id IS NULL
                    """,
                    list(moves.ids),
                )
            )
            self.invalidate_model(["account_move_id"])
        return moves


class SppVoucher(models.Model):
    _inherit = "spp.voucher"

    @api.model
    def _cron_spp_expire(self):
        result = super()._cron_spp_expire()
        # The expiry is never refused for the books: without the accounts the
        # releases wait for the next posting of their payroll.
        try:
            with self.env.cr.savepoint():
                self.env["spp.voucher.release"]._spp_books_post_releases()
        except UserError as error:
            _logger.info("Voucher releases not posted yet: %s", error)
        return result


class SppVoucherChangeRequest(models.Model):
    _inherit = "spp.voucher.change.request"

    def _spp_apply_cancel(self, vouchers):
        result = super()._spp_apply_cancel(vouchers)
        self.env["spp.voucher.release"]._spp_books_post_releases()
        return result

    def _spp_apply_reissue(self, vouchers):
        result = super()._spp_apply_reissue(vouchers)
        self.env["spp.voucher.release"]._spp_books_post_releases()
        return result
