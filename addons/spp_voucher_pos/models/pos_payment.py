# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

# Written by the server only (the capture), whatever the client sends.
SERVER_FIELDS = ("spp_redemption_id", "spp_voucher_sync_error")


def _strip(vals):
    """A payment's values without the token (it holds the voucher's secret
    code: it rides in the sync payload, never into the database) and without
    the fields only the capture writes."""
    vals = dict(vals)
    vals.pop("spp_voucher_token", None)
    for name in SERVER_FIELDS:
        vals.pop(name, None)
    return vals


class PosPayment(models.Model):
    _inherit = "pos.payment"

    spp_voucher_token = fields.Char(
        copy=False,
        help="Client side only: the scanned token of a voucher line, sent with "
        "the order and never stored.",
    )
    spp_voucher_offline = fields.Boolean(
        string="Voucher Accepted Offline", readonly=True, copy=False
    )
    spp_voucher_id = fields.Integer(
        readonly=True, copy=False, help="The voucher paid with (its id)."
    )
    spp_voucher_name = fields.Char(string="Voucher", readonly=True, copy=False)
    spp_voucher_balance = fields.Monetary(
        string="Voucher Balance Left",
        currency_field="currency_id",
        readonly=True,
        copy=False,
    )
    spp_redemption_id = fields.Many2one(
        "spp.voucher.redemption",
        string="Voucher Redemption",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    spp_voucher_sync_error = fields.Char(readonly=True, copy=False)
    spp_voucher_reason = fields.Char(
        string="Voucher Reversal Reason",
        copy=False,
        help="Why the cashier refunded this voucher payment (a refund line).",
    )

    @api.model
    def _load_pos_data_fields(self, config):
        # Every field as by default, but the redemption (a model the POS does
        # not load): the till knows its voucher by id, name and balance.
        fields = super()._load_pos_data_fields(config) or [
            name for name, field in self._fields.items() if not field.manual
        ]
        return [name for name in fields if name != "spp_redemption_id"]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("spp_voucher_capture"):
            vals_list = [_strip(vals) for vals in vals_list]
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get("spp_voucher_capture"):
            vals = _strip(vals)
        return super().write(vals)
