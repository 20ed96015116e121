# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What vouchers point to without a foreign key cannot be deleted (the Python
side of ``DerivedMany2one``). Their program, cycle, beneficiary, company and
currency are those of their payment, whose own guards already hold them."""

from odoo import api, models
from odoo.exceptions import UserError


def refuse_unlink_if_voucher_refers(records, *columns):
    vouchers = records.env["spp.voucher"].sudo()
    for column in columns:
        if vouchers.search_count([(column, "in", records.ids)], limit=1):
            raise UserError(
                records.env._(
                    "%s cannot be deleted: vouchers refer to it.",
                    ", ".join(records.mapped("display_name")[:5]),
                )
            )


class SppVoucherKey(models.Model):
    _inherit = "spp.voucher.key"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed_vouchers(self):
        # Its vouchers stay verifiable: revoke it instead.
        refuse_unlink_if_voucher_refers(self, "key_id")


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_voucher_author(self):
        refuse_unlink_if_voucher_refers(self, "create_uid", "write_uid")
