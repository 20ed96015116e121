# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

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

    def _spp_voucher_operator(self):
        """Refuse (AccessError) unless the current user is one of the cashiers
        of the till's merchant. Called by every voucher RPC and by the order
        sync: the ledger runs as superuser behind them, so this is the check.

        The merchant's cashiers (``spp.merchant.user_ids``) decide, not the
        till: point_of_sale alone restricts a config to no user (pos_hr's
        employees are hr.employee records, not the login the RPC runs as), and
        the cashier list is what the program approved the merchant with and
        what the merchant keeps up to date (it changes without a new approval),
        the same list the ledger's own operator check reads. Superuser code
        (a server job processing orders) passes, as in the ledger."""
        self.ensure_one()
        if self.env.su:
            return
        merchant = self.sudo().spp_merchant_id
        if self.env.user not in merchant.user_ids:
            raise AccessError(
                self.env._(
                    "%(user)s is not a cashier of %(merchant)s: they take no "
                    "voucher at %(till)s.",
                    user=self.env.user.name,
                    merchant=merchant.name or self.env._("no merchant"),
                    till=self.name,
                )
            )

    # Limits of the till and its cashiers, online and at sync ------------------

    def _spp_voucher_limit_refusal(self, amount, cashier, when=None):
        """Why this till refuses a voucher payment of ``amount`` by ``cashier``
        on the day of ``when`` (default now), or None: the limit per payment
        and per cashier and day (what the cashier redeemed or holds at this
        merchant that day, less what was reversed since)."""
        self.ensure_one()
        currency = self.currency_id
        limit = self.spp_voucher_limit_per_transaction
        if limit and currency.compare_amounts(amount, limit) > 0:
            return self.env._(
                "A voucher payment at this till is limited to %s.",
                currency.format(limit),
            )
        limit = self.spp_voucher_cashier_limit_per_day
        if limit:
            redeemed = self._spp_voucher_cashier_day_total(cashier, when)
            if currency.compare_amounts(redeemed + amount, limit) > 0:
                return self.env._(
                    "%(cashier)s's vouchers today would exceed %(limit)s.",
                    cashier=cashier.name,
                    limit=currency.format(limit),
                )
        return None

    def _spp_voucher_cashier_day_total(self, cashier, when=None):
        """One aggregate: net amount ``cashier`` redeemed or holds at the till's
        merchant on the (calendar) day of ``when``."""
        day = fields.Date.context_today(self, when)
        start = fields.Datetime.to_datetime(day)
        [(amount, reversed_amount)] = (
            self.env["spp.voucher.redemption"]
            .sudo()
            ._read_group(
                [
                    ("cashier_id", "=", cashier.id),
                    ("merchant_id", "=", self.sudo().spp_merchant_id.id),
                    ("state", "in", ("authorized", "captured")),
                    ("date", ">=", start),
                    ("date", "<", start + datetime.timedelta(days=1)),
                ],
                aggregates=["amount:sum", "reversed_amount:sum"],
            )
        )
        return self.currency_id.round((amount or 0) - (reversed_amount or 0))

    def _spp_voucher_offline_refusal(self, payment, cashier):
        """Why a voucher payment this till accepted offline breaks its limits
        (None: it does not): offline vouchers not accepted here, the limits of
        ``_spp_voucher_limit_refusal``, or the device's offline limit."""
        self.ensure_one()
        if not self.spp_voucher_offline:
            return self.env._("This till does not accept vouchers offline.")
        refusal = self._spp_voucher_limit_refusal(
            payment.amount, cashier, payment.payment_date
        )
        if refusal:
            return refusal
        limit = self.spp_voucher_offline_limit
        exposure = self._spp_voucher_offline_exposure(payment) + payment.amount
        if self.currency_id.compare_amounts(exposure, limit) > 0:
            return self.env._(
                "This till accepted %(exposure)s in vouchers offline, beyond its "
                "offline limit of %(limit)s.",
                exposure=self.currency_id.format(exposure),
                limit=self.currency_id.format(limit),
            )
        return None

    def _spp_voucher_offline_exposure(self, payment):
        """What this till had accepted offline before ``payment``, since it was
        last in touch (the time of its last order to reach the server before
        the sale): the browser counts the same, its unsynced offline vouchers.
        By sale time, so that an outage synced in several calls adds up."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(SUM(p.amount), 0)
                  FROM pos_payment p
                  JOIN pos_session s ON s.id = p.session_id
                 WHERE s.config_id = %(config)s
                   AND p.spp_voucher_offline
                   AND p.spp_redemption_id IS NOT NULL
                   AND p.id != %(payment)s
                   AND p.payment_date <= %(when)s
                   AND p.payment_date > COALESCE(
                       (SELECT MAX(o.create_date) FROM pos_order o
                         WHERE o.config_id = %(config)s
                           AND o.create_date < %(when)s),
                       '-infinity'::timestamp)
                """,
                config=self.id,
                payment=payment.id,
                when=payment.payment_date,
            )
        )
        return self.currency_id.round(float(self.env.cr.fetchone()[0]))

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
