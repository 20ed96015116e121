# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# Fields only a Payments Administrator sets: which merchant a till redeems for
# and how much it may redeem decide where program money goes.
SPP_FIELDS = {
    "spp_merchant_id",
    "spp_voucher_limit_per_transaction",
    "spp_voucher_cashier_limit_per_day",
    "spp_voucher_offline",
    "spp_voucher_offline_limit",
}
CLEARING_CODE = "VCHR"


class PosConfig(models.Model):
    _inherit = "pos.config"

    spp_merchant_id = fields.Many2one(
        "spp.merchant",
        string="Voucher Merchant",
        index="btree_not_null",
        ondelete="restrict",
        help="The approved merchant this till redeems vouchers for.",
    )
    spp_voucher_limit_per_transaction = fields.Monetary(
        string="Voucher Limit per Payment",
        currency_field="currency_id",
        help="Largest voucher payment this device takes (0: no limit of its own).",
    )
    spp_voucher_cashier_limit_per_day = fields.Monetary(
        string="Voucher Limit per Cashier and Day",
        currency_field="currency_id",
        help="Most one cashier redeems at this till in a day (0: no limit).",
    )
    spp_voucher_offline = fields.Boolean(
        string="Accept Signed Vouchers Offline",
        help="With the server unreachable, verify the voucher's signature in the "
        "browser and accept it up to the offline limit; the order syncs later.",
    )
    spp_voucher_offline_limit = fields.Monetary(
        string="Offline Voucher Limit",
        currency_field="currency_id",
        help="Most this device accepts in vouchers while offline, until it syncs.",
    )

    def _spp_check_admin(self, vals):
        if SPP_FIELDS & set(vals) and not (
            self.env.su or self.env.user.has_group("spp_payment_base.group_spp_admin")
        ):
            raise AccessError(
                self.env._(
                    "Only a Payments Administrator links a till to a voucher merchant."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._spp_check_admin(vals)
        configs = super().create(vals_list)
        configs.filtered("spp_merchant_id")._spp_voucher_ensure_payment_method()
        return configs

    def write(self, vals):
        self._spp_check_admin(vals)
        res = super().write(vals)
        if vals.get("spp_merchant_id"):
            self._spp_voucher_ensure_payment_method()
        return res

    def _spp_voucher_payment_method(self):
        self.ensure_one()
        return self.payment_method_ids.filtered(
            lambda m: m.use_payment_terminal == "spp_voucher"
        )[:1]

    def _spp_voucher_ensure_payment_method(self):
        """A till linked to a merchant gets the company's voucher payment method,
        booked to a "Voucher clearing" journal (what the program owes the
        merchant until settlement), both created once per company."""
        for config in self.sudo():
            if config._spp_voucher_payment_method():
                continue
            company = config.company_id
            method = (
                self.env["pos.payment.method"]
                .sudo()
                .search(
                    [
                        ("use_payment_terminal", "=", "spp_voucher"),
                        ("company_id", "=", company.id),
                    ],
                    limit=1,
                )
            )
            if not method:
                journal = self.env["account.journal"].sudo().search(
                    [("code", "=", CLEARING_CODE), ("company_id", "=", company.id)],
                    limit=1,
                ) or self.env["account.journal"].sudo().create(
                    {
                        "name": self.env._("Voucher clearing"),
                        "code": CLEARING_CODE,
                        "type": "bank",
                        "company_id": company.id,
                    }
                )
                method = (
                    self.env["pos.payment.method"]
                    .sudo()
                    .with_company(company)
                    .create(
                        {
                            "name": self.env._("Voucher"),
                            "journal_id": journal.id,
                            "company_id": company.id,
                            "payment_method_type": "terminal",
                            "use_payment_terminal": "spp_voucher",
                        }
                    )
                )
            config.payment_method_ids = [fields.Command.link(method.id)]

    def _spp_voucher_merchant(self):
        """The till's merchant, refused unless approved and active."""
        self.ensure_one()
        merchant = self.sudo().spp_merchant_id
        if not merchant:
            raise UserError(
                self.env._("This till is not linked to a voucher merchant.")
            )
        if merchant.approval_state != "approved" or merchant.state != "active":
            raise UserError(
                self.env._(
                    "Merchant %s is not approved to redeem vouchers.", merchant.name
                )
            )
        return merchant

    def _spp_voucher_public_keys(self):
        """Every non-revoked key of the company: a rotated (retired) key still
        verifies the vouchers it signed."""
        self.ensure_one()
        keys = (
            self.env["spp.voucher.key"]
            .sudo()
            .search(
                [
                    ("state", "!=", "revoked"),
                    ("company_id", "in", (self.company_id.id, False)),
                ]
            )
        )
        return [{"kid": k.kid, "public_key": k.public_key} for k in keys]

    def _load_pos_data_read(self, records, config):
        read_records = super()._load_pos_data_read(records, config)
        if read_records and config.spp_voucher_offline:
            read_records[0]["_spp_voucher_keys"] = config._spp_voucher_public_keys()
        elif read_records:
            read_records[0]["_spp_voucher_keys"] = []
        return read_records
