# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A merchant's settlement: the redemptions of one program at one merchant in
a period, maker-checked, then paid to the merchant as a payment through an FSP
and reconciled like any payment (the payment's transitions move the
settlement, see spp_payment.py)."""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import (
    guarded_write,
    is_guarded_write,
    refuse_fields,
)

from .spp_voucher_redemption import SETTLEMENT_GUARD

# Redemptions a settlement lists: captured ones are reimbursed (less what was
# partly reversed), reversed ones are listed for the statement (their amount
# went back to the voucher).
LISTED_STATES = ("captured", "reversed")
# Written by the settlement's own code only (totals, payment, state).
SYSTEM_FIELDS = frozenset(
    {
        "redemption_count",
        "captured_total",
        "reversed_total",
        "disputed_count",
        "amount_due",
        "payment_id",
        "state",
    }
)


class SppMerchantSettlement(models.Model):
    _name = "spp.merchant.settlement"
    _inherit = ["spp.approval.mixin", "mail.activity.mixin"]
    _description = "Merchant Settlement"
    _order = "date_to desc, id desc"

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    merchant_id = fields.Many2one(
        "spp.merchant", required=True, index=True, ondelete="restrict"
    )
    partner_id = fields.Many2one(related="merchant_id.partner_id")
    program_id = fields.Many2one(
        "spp.program",
        required=True,
        ondelete="restrict",
        help="Whose vouchers are reimbursed: the payment is that program's.",
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    fsp_id = fields.Many2one(
        "spp.fsp", string="Paid through", required=True, ondelete="restrict"
    )
    bank_account_id = fields.Many2one(
        "res.partner.bank",
        string="Merchant Account",
        domain="[('partner_id', '=', partner_id)]",
        ondelete="restrict",
    )
    redemption_ids = fields.One2many(
        "spp.voucher.redemption", "settlement_id", readonly=True
    )
    redemption_count = fields.Integer(readonly=True)
    captured_total = fields.Monetary(readonly=True, currency_field="currency_id")
    reversed_total = fields.Monetary(readonly=True, currency_field="currency_id")
    disputed_count = fields.Integer(
        readonly=True, help="Disputed redemptions of the period, held out."
    )
    amount_due = fields.Monetary(readonly=True, currency_field="currency_id")
    payment_id = fields.Many2one("spp.payment", readonly=True, copy=False)
    payment_state = fields.Selection(
        related="payment_id.state", string="Payment Status"
    )
    # Moved by the payment's transitions (set-based, in their statement).
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("approved", "Being Paid"),
            ("paid", "Paid"),
            ("failed", "Payment Failed"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
        copy=False,
    )

    _period_valid = models.Constraint(
        "CHECK(date_from <= date_to)", "A period ends after it starts."
    )
    _one_payment = models.UniqueIndex(
        "(payment_id) WHERE payment_id IS NOT NULL",
        "A payment settles one settlement.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._spp_refuse_system_fields(vals)
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("spp.merchant.settlement")
                    or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        self._spp_refuse_system_fields(vals)
        if vals.keys() & {"merchant_id", "program_id", "date_from", "date_to"}:
            if self.filtered("redemption_ids"):
                raise UserError(
                    self.env._(
                        "Collected settlements keep their merchant, program and "
                        "period; reject or make another one."
                    )
                )
        return super().write(vals)

    def _spp_refuse_system_fields(self, vals):
        if not is_guarded_write(SETTLEMENT_GUARD):
            refuse_fields(
                SYSTEM_FIELDS & vals.keys(),
                self.env._("Settlements compute %s themselves."),
            )

    def _spp_write_system(self, vals):
        """Totals, payment and state: written by this code only, whatever the
        approval state, and not an edit by the current user."""
        with guarded_write("approval", SETTLEMENT_GUARD):
            self.sudo().write(vals)

    # Building ------------------------------------------------------------

    def action_collect(self):
        """Link the merchant's unsettled redemptions of the program and period
        (captured and reversed; disputed ones held out) and total them."""
        for settlement in self:
            if settlement.approval_state != "draft":
                raise UserError(
                    self.env._(
                        "%s is submitted: it can no longer change.", settlement.name
                    )
                )
            settlement._spp_collect()

    def _spp_collect(self):
        self.ensure_one()
        self.env.flush_all()
        # One statement: rows already linked (to any settlement) are never
        # taken; two settlements collecting at once serialize on the rows.
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_voucher_redemption r
                   SET settlement_id = %(settlement)s
                  FROM spp_voucher v
                 WHERE v.id = r.voucher_id
                   AND v.program_id = %(program)s
                   AND r.merchant_id = %(merchant)s
                   AND r.settlement_id IS NULL
                   AND r.state = ANY(%(states)s)
                   AND NOT COALESCE(r.is_disputed, FALSE)
                   AND r.date::date BETWEEN %(start)s AND %(end)s
                """,
                settlement=self.id,
                program=self.program_id.id,
                merchant=self.merchant_id.id,
                states=list(LISTED_STATES),
                start=self.date_from,
                end=self.date_to,
            )
        )
        self.env["spp.voucher.redemption"].invalidate_model(["settlement_id"])
        self._spp_compute_totals()

    def _spp_compute_totals(self):
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*),
                       COALESCE(SUM(amount - reversed_amount)
                                FILTER (WHERE state = 'captured'), 0)::text,
                       COALESCE(SUM(reversed_amount), 0)::text
                  FROM spp_voucher_redemption WHERE settlement_id = %s
                """,
                self.id,
            )
        )
        count, captured, reversed_ = self.env.cr.fetchone()
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*) FROM spp_voucher_redemption r
                  JOIN spp_voucher v ON v.id = r.voucher_id
                 WHERE v.program_id = %s AND r.merchant_id = %s
                   AND r.settlement_id IS NULL AND r.is_disputed
                   AND r.date::date BETWEEN %s AND %s
                """,
                self.program_id.id,
                self.merchant_id.id,
                self.date_from,
                self.date_to,
            )
        )
        disputed = self.env.cr.fetchone()[0]
        rounding = self.currency_id.decimal_places
        due = Decimal(captured).quantize(Decimal(1).scaleb(-rounding))
        self._spp_write_system(
            {
                "redemption_count": count,
                "captured_total": float(due),
                "reversed_total": float(Decimal(reversed_)),
                "disputed_count": disputed,
                "amount_due": float(due),
            }
        )

    # Maker-checker -------------------------------------------------------

    def _spp_approval_amount(self):
        return self.amount_due

    def _spp_check_can_submit(self):
        for settlement in self:
            if settlement.merchant_id.approval_state != "approved":
                raise UserError(
                    self.env._("%s: the merchant is not approved.", settlement.name)
                )
            if not settlement.redemption_count or settlement.amount_due <= 0:
                raise UserError(
                    self.env._(
                        "%s has nothing to pay: collect its redemptions first.",
                        settlement.name,
                    )
                )
            if (
                settlement.fsp_id.provider == "file"
                and not settlement._spp_destination()
            ):
                raise UserError(
                    self.env._(
                        "%s: the merchant has no bank account to be paid to.",
                        settlement.name,
                    )
                )
        return super()._spp_check_can_submit()

    def _on_spp_approved(self):
        """Approved: the merchant's payment is created, approved (the
        settlement's checker approved its amount) and sent by a job."""
        result = super()._on_spp_approved()
        for settlement in self:
            payment = settlement._spp_create_payment()
            settlement.with_delay(
                description=self.env._("%s: pay the merchant", settlement.name),
                identity_key=f"spp.merchant.settlement:pay:{settlement.id}",
            )._job_send_payment()
            settlement._spp_write_system(
                {"payment_id": payment.id, "state": "approved"}
            )
        return result

    def _on_spp_rejected(self):
        """Rejected: its redemptions are free for a corrected settlement."""
        result = super()._on_spp_rejected()
        with guarded_write(SETTLEMENT_GUARD):
            self.redemption_ids.sudo().write({"settlement_id": False})
        for settlement in self:
            settlement._spp_compute_totals()
        return result

    def _spp_destination(self):
        self.ensure_one()
        account = self.bank_account_id or self.partner_id.bank_ids[:1]
        return account.acc_number or ""

    def _spp_create_payment(self):
        self.ensure_one()
        payment = (
            self.env["spp.payment"]
            .sudo()
            .create(
                {
                    "program_id": self.program_id.id,
                    "partner_id": self.partner_id.id,
                    "fsp_id": self.fsp_id.id,
                    "amount": self.amount_due,
                    "channel": "digital",
                    "destination_type": "bank",
                    "destination": self._spp_destination() or False,
                    "merchant_settlement_id": self.id,
                    "note": self.env._(
                        "Settlement %(name)s of %(merchant)s",
                        name=self.name,
                        merchant=self.merchant_id.name,
                    ),
                }
            )
        )
        payment._set_approved(reason=self.env._("Settlement %s approved.", self.name))
        return payment

    def _job_send_payment(self):
        """Queue job, phase 1: queue the payment (a file FSP writes its
        instructions file here); phase 2, another job, hands it to the FSP."""
        payment = self.sudo().payment_id
        if payment.state in ("approved", "failed", "rejected"):
            payment._spp_queue_for_sending()
        if payment.state == "queued":
            self.with_delay(
                description=self.env._("%s: deliver the payment", self.name),
                identity_key=f"spp.merchant.settlement:deliver:{self.id}:"
                f"{payment.current_attempt_id.id}",
            )._job_deliver_payment()
        return f"payment {payment.reference}: {payment.state}"

    def _job_deliver_payment(self):
        payment = self.sudo().payment_id
        if payment.state == "queued":
            payment._spp_deliver()
        return f"payment {payment.reference}: {payment.state}"

    def action_retry_payment(self):
        """Send a failed settlement payment again (a new attempt)."""
        for settlement in self:
            if settlement.state != "failed":
                raise UserError(self.env._("%s has not failed.", settlement.name))
            settlement.with_delay(
                identity_key=f"spp.merchant.settlement:retry:{settlement.id}:"
                f"{settlement.payment_id.current_attempt_id.id}",
            )._job_send_payment()

    def action_import_bank_reply(self):
        """spp_payment_file's reply import, for this settlement's payment: the
        reply is checked, imported as a reconciliation batch and applied once
        a Finance Manager other than the importer accepts it."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "spp_payment_file.action_spp_reconciliation_import"
        )
        action["context"] = {
            "default_merchant_settlement_id": self.id,
            "default_fsp_id": self.fsp_id.id,
        }
        return action

    @api.constrains("merchant_id", "program_id")
    def _check_same_company(self):
        for settlement in self:
            if settlement.merchant_id.company_id != settlement.company_id:
                raise ValidationError(
                    self.env._(
                        "The merchant and the program belong to different agencies."
                    )
                )
