# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .spp_voucher import lock_rows

FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"
PROGRAM_OFFICER = "spp_payment_base.group_spp_program_officer"
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"


class SppMerchant(models.Model):
    """A shop approved to accept vouchers, reimbursed by the program. It takes
    vouchers once approved (maker-checker) and while active; a suspension is
    immediate, a reactivation is a Finance Manager's who did not suspend it."""

    _name = "spp.merchant"
    _inherit = ["spp.approval.mixin", "mail.activity.mixin"]
    _description = "Voucher Merchant"
    _order = "name, id"

    name = fields.Char(related="partner_id.name", store=True)
    partner_id = fields.Many2one(
        "res.partner", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    category_ids = fields.Many2many("spp.merchant.category", string="Categories")
    limit_per_transaction = fields.Monetary(
        currency_field="currency_id", help="0: no limit."
    )
    limit_per_day = fields.Monetary(
        currency_field="currency_id",
        help="Redeemed and held per calendar day, all tills together; 0: no limit.",
    )
    user_ids = fields.Many2many(
        "res.users",
        "spp_merchant_cashier_rel",
        "merchant_id",
        "user_id",
        string="Cashiers",
        help="Users who redeem vouchers for this merchant (tills, service points).",
    )
    device_ids = fields.Char(
        string="Devices", help="POS configurations or device ids, comma-separated."
    )
    state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended")],
        default="active",
        required=True,
        readonly=True,
        tracking=True,
    )
    suspended_by_id = fields.Many2one("res.users", readonly=True, copy=False)

    # Cashiers and devices change without a new approval; limits, categories and
    # the partner do not.
    _spp_approval_writable_fields = frozenset({"user_ids", "device_ids"})

    # States ---------------------------------------------------------------

    def action_suspend(self):
        user = self.env.user
        if not (user.has_group(PROGRAM_OFFICER) or user.has_group(FINANCE_MANAGER)):
            raise AccessError(
                self.env._("Program Officers and Finance Managers suspend merchants.")
            )
        self._spp_write_approval(
            {"state": "suspended", "suspended_by_id": self.env.uid}
        )
        self.message_post(body=self.env._("Suspended: takes no voucher."))
        return True

    def action_reactivate(self):
        if not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(self.env._("Only a Finance Manager reactivates."))
        for merchant in self:
            if merchant.suspended_by_id == self.env.user:
                raise AccessError(
                    self.env._(
                        "Segregation of duties: you suspended %s, someone else "
                        "reactivates it.",
                        merchant.name,
                    )
                )
        self._spp_write_approval({"state": "active", "suspended_by_id": False})
        self.message_post(body=self.env._("Reactivated."))
        return True

    # Checks of the ledger -------------------------------------------------------

    def _spp_check_operator(self):
        """The caller acts for this merchant: superuser code (a POS order being
        processed), one of its cashiers, or a Finance Officer."""
        if self.env.su:
            return
        user = self.env.user
        if user in self.sudo().user_ids or user.has_group(FINANCE_OFFICER):
            return
        raise AccessError(
            self.env._("You do not redeem vouchers for %s.", self.sudo().name)
        )

    def _spp_lock_day(self):
        """With a daily limit, redemptions at this merchant run one at a time:
        the row is locked and touched, so that a transaction that began before
        another's commit cannot lock it and read an old day total."""
        if not self.limit_per_day:
            return
        self._spp_lock_row()
        self.env.cr.execute(
            SQL(
                "UPDATE spp_merchant SET write_date = write_date WHERE id = %s", self.id
            )
        )

    def _spp_lock_row(self):
        if not lock_rows(self):
            raise UserError(
                self.env._(
                    "%s is taking another voucher right now (daily limit); nothing "
                    "was taken. Try again.",
                    self.name,
                )
            )

    def _spp_refusal(self, voucher, amount, when):
        """Why this merchant cannot take ``amount`` of ``voucher`` on ``when``
        (None: it can)."""
        if self.approval_state != "approved" or self.state != "active":
            return self.env._(
                "Merchant %s is not approved and active: it takes no voucher.",
                self.name,
            )
        if voucher.company_id != self.company_id:
            return self.env._(
                "Merchant %s does not serve this voucher's program.", self.name
            )
        program = voucher.program_id
        allowed = voucher.merchant_ids or program.voucher_merchant_ids
        if allowed and self not in allowed:
            return self.env._(
                "Voucher %(voucher)s is not accepted at %(merchant)s.",
                voucher=voucher.name,
                merchant=self.name,
            )
        categories = voucher.merchant_category_ids or program.voucher_category_ids
        if categories and not (categories & self.category_ids):
            return self.env._(
                "Voucher %(voucher)s is for %(categories)s; %(merchant)s is not.",
                voucher=voucher.name,
                categories=", ".join(categories.mapped("name")),
                merchant=self.name,
            )
        currency = voucher.currency_id
        if (
            self.limit_per_transaction
            and currency.compare_amounts(float(amount), self.limit_per_transaction) > 0
        ):
            return self.env._(
                "%(amount)s is above %(merchant)s's limit of %(limit)s per "
                "transaction.",
                amount=amount,
                merchant=self.name,
                limit=self.limit_per_transaction,
            )
        if self.limit_per_day:
            spent = self._spp_day_total(when)
            if currency.compare_amounts(spent + float(amount), self.limit_per_day) > 0:
                return self.env._(
                    "%(merchant)s has taken %(spent)s today of its daily limit of "
                    "%(limit)s: %(amount)s is refused.",
                    merchant=self.name,
                    spent=spent,
                    limit=self.limit_per_day,
                    amount=amount,
                )
        return None

    def _spp_day_total(self, when):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT COALESCE(SUM(amount), 0) FROM spp_voucher_redemption "
                "WHERE merchant_id = %s AND state IN ('authorized', 'captured') "
                "AND date >= %s AND date < %s::date + 1",
                self.id,
                when,
                when,
            )
        )
        return float(self.env.cr.fetchone()[0])

    @api.depends("partner_id")
    def _compute_display_name(self):
        for merchant in self:
            merchant.display_name = merchant.partner_id.name or ""


class SppMerchantCategory(models.Model):
    _name = "spp.merchant.category"
    _description = "Merchant Category"

    name = fields.Char(required=True)
    code = fields.Char(required=True)

    _code_unique = models.Constraint("UNIQUE(code)", "A category code is used once.")
