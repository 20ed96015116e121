# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import guarded_write

from .spp_voucher import CLOSED_WITH_BALANCE, LEDGER_GUARD, SPENDABLE

ACTIONS = [
    ("suspend", "Suspend"),
    ("reactivate", "Reactivate"),
    ("cancel", "Cancel"),
    ("reissue", "Re-issue"),
]
# Voucher states each action starts from.
FROM_STATES = {
    "suspend": SPENDABLE,
    "reactivate": ("suspended",),
    "cancel": (*SPENDABLE, "suspended"),
    "reissue": CLOSED_WITH_BALANCE,
}


class SppVoucherChangeRequest(models.Model):
    """A state change of vouchers under maker-checker: whoever requested it
    never approves it (spp.approval.mixin). Applied on approval, after the
    voucher states are checked again."""

    _name = "spp.voucher.change.request"
    _inherit = ["spp.approval.mixin", "mail.activity.mixin"]
    _description = "Voucher State Change"
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    action = fields.Selection(ACTIONS, required=True)
    voucher_ids = fields.Many2many("spp.voucher", string="Vouchers", required=True)
    reason = fields.Text(required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    validity_days = fields.Integer(
        help="Re-issue: days the new vouchers are valid (default: the program's)."
    )
    new_voucher_ids = fields.Many2many(
        "spp.voucher",
        "spp_voucher_change_new_rel",
        "request_id",
        "voucher_id",
        string="Re-issued Vouchers",
        readonly=True,
    )

    @api.depends("action", "voucher_ids")
    def _compute_name(self):
        labels = dict(ACTIONS)
        for request in self:
            request.name = (
                f"{labels.get(request.action, '')}: "
                f"{', '.join(request.voucher_ids[:3].mapped('name'))}"
                + (" ..." if len(request.voucher_ids) > 3 else "")
            )

    def _spp_check_can_submit(self):
        self._spp_check_states()

    def _spp_check_states(self):
        allowed = FROM_STATES[self.action]
        wrong = self.voucher_ids.sudo().filtered(lambda v: v.state not in allowed)
        if wrong:
            raise UserError(
                self.env._(
                    "%(action)s does not apply to %(vouchers)s (their state).",
                    action=dict(ACTIONS)[self.action],
                    vouchers=", ".join(wrong.mapped("name")),
                )
            )
        if self.action == "reissue":
            done = self.voucher_ids.sudo().filtered(
                lambda v: (
                    self.env["spp.voucher"]
                    .sudo()
                    .search_count([("origin_voucher_id", "=", v.id)])
                )
            )
            empty = self.voucher_ids.sudo().filtered(lambda v: v.balance <= 0)
            if done or empty:
                raise UserError(
                    self.env._(
                        "Nothing to re-issue for %s: re-issued already or no "
                        "balance left.",
                        ", ".join((done | empty).mapped("name")),
                    )
                )

    def _on_spp_approved(self):
        vouchers = self.voucher_ids.sudo()
        vouchers._spp_lock()
        self._spp_check_states()
        getattr(self, f"_spp_apply_{self.action}")(vouchers)
        for voucher in vouchers:
            voucher.message_post(
                body=self.env._(
                    "%(action)s (request %(request)s): %(reason)s",
                    action=dict(ACTIONS)[self.action],
                    request=self.id,
                    reason=self.reason,
                )
            )

    def _spp_apply_suspend(self, vouchers):
        vouchers._spp_set_state("suspended")

    def _spp_apply_reactivate(self, vouchers):
        today = fields.Date.context_today(self)
        late = vouchers.filtered(lambda v: v.valid_until < today)
        if late:
            raise UserError(
                self.env._(
                    "%s expired meanwhile: re-issue instead.",
                    ", ".join(late.mapped("name")),
                )
            )
        for voucher in vouchers:
            voucher._spp_set_state(voucher._spp_state_after_suspension())

    def _spp_apply_cancel(self, vouchers):
        vouchers._spp_release_balance("cancelled")
        vouchers._spp_set_state("cancelled")

    def _spp_apply_reissue(self, vouchers):
        """A new voucher per old one, for what it left, with a new code (its
        own id): the release is taken back by a negative row."""
        today = fields.Date.context_today(self)
        new = self.env["spp.voucher"].sudo()
        for voucher in vouchers:
            days = self.validity_days or voucher.program_id.voucher_validity_days
            with guarded_write(LEDGER_GUARD):
                copy = new.create(
                    {
                        "name": "/",
                        "payment_id": voucher.payment_id.id,
                        "program_id": voucher.program_id.id,
                        "cycle_id": voucher.cycle_id.id,
                        "company_id": voucher.company_id.id,
                        "currency_id": voucher.currency_id.id,
                        "partner_id": voucher.partner_id.id,
                        "collector_id": voucher.collector_id.id,
                        "amount": voucher.balance,
                        "balance": voucher.balance,
                        "valid_from": today,
                        "valid_until": today + datetime.timedelta(days=days),
                        "merchant_category_ids": voucher.merchant_category_ids.ids,
                        "merchant_ids": voucher.merchant_ids.ids,
                        "origin_voucher_id": voucher.id,
                        "key_id": self.env["spp.voucher.key"]
                        ._spp_active_key(voucher.program_id, create=True)
                        .id,
                    }
                )
                copy._spp_set_code_hash()
                self.env["spp.voucher.release"].sudo().create(
                    {
                        "voucher_id": voucher.id,
                        "amount": -voucher.balance,
                        "kind": "reissued",
                    }
                )
            new |= copy
        self._spp_write_approval({"new_voucher_ids": [(4, v.id) for v in new]})


class SppVoucher(models.Model):
    _inherit = "spp.voucher"  # pylint: disable=consider-merging-classes-inherited

    def _spp_set_code_hash(self):
        """Number and code hash of vouchers made one by one (re-issues), by
        the same SQL as the generation."""
        from spp_payment_core import voucher_token as vt

        from .spp_voucher import code_sql

        self.env.flush_all()
        for voucher in self:
            inner, outer = vt.hmac_pads(voucher.program_id._spp_voucher_secret())
            self.env.cr.execute(
                SQL(
                    "UPDATE spp_voucher SET name = 'V' || lpad(id::text, 9, '0'), "
                    "code_hash = encode(sha256(convert_to(%s, 'UTF8')), 'hex') "
                    "WHERE id = %s",
                    code_sql(inner, outer, SQL("%s", voucher.id)),
                    voucher.id,
                )
            )
        self.invalidate_recordset(["name", "code_hash"])
