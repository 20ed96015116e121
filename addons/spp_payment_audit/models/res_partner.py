# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from odoo.addons.spp_payroll.models.spp_payment import LIVE_STATES, UNPAID_STATES

VIEWER = "spp_payment_base.group_spp_viewer"
# Issued and not settled yet: neither paid nor given up.
PENDING_STATES = frozenset(LIVE_STATES) - {"draft", "paid"}


class ResPartner(models.Model):
    """Payment history of a registrant: every payment to them and to the
    households they belong to (an individual), or to their members (a
    household), with a summary."""

    _inherit = "res.partner"

    spp_history_payment_ids = fields.Many2many(
        "spp.payment",
        string="Payment History",
        compute="_compute_spp_history_payments",
        groups=VIEWER,
    )
    spp_history_count = fields.Integer(
        string="Payments (with household)",
        compute="_compute_spp_history_summary",
        groups=VIEWER,
    )
    spp_history_paid = fields.Monetary(
        string="Paid (with household)",
        currency_field="spp_history_currency_id",
        compute="_compute_spp_history_summary",
        groups=VIEWER,
    )
    spp_history_unpaid = fields.Monetary(
        string="Unpaid",
        currency_field="spp_history_currency_id",
        compute="_compute_spp_history_summary",
        groups=VIEWER,
        help="Issued but failed, rejected or reversed: not received.",
    )
    spp_history_pending = fields.Monetary(
        string="Pending",
        currency_field="spp_history_currency_id",
        compute="_compute_spp_history_summary",
        groups=VIEWER,
        help="Approved or on its way to the beneficiary, not confirmed yet.",
    )
    spp_history_last_date = fields.Datetime(
        string="Last Paid",
        compute="_compute_spp_history_summary",
        groups=VIEWER,
    )

    def _spp_audit_history_partner_ids(self):
        """Beneficiaries whose payments make this registrant's history: the
        base's (itself, and a household's members) and, for an individual, the
        households they belong to: household programs pay the household on
        behalf of its members. (The base's own counters keep their meaning.)"""
        ids = self._spp_history_partner_ids()
        if self.registrant_type == "individual":
            ids += self.household_membership_ids.group_id.ids
        return ids

    def _compute_spp_history_payments(self):
        payments = self.env["spp.payment"]
        for partner in self:
            partner.spp_history_payment_ids = (
                payments.search(
                    [("partner_id", "in", partner._spp_audit_history_partner_ids())]
                )
                if partner.id and partner.is_registrant
                else payments
            )

    def _compute_spp_history_summary(self):
        """One _read_group for all the partners (by beneficiary, state and
        currency); amounts in another currency than the company's are counted
        but not summed."""
        history = {
            partner: partner._spp_audit_history_partner_ids()
            for partner in self
            if partner.id and partner.is_registrant
        }
        beneficiaries = {pid for ids in history.values() for pid in ids}
        groups = self.env["spp.payment"]._read_group(
            [("partner_id", "in", list(beneficiaries))],
            groupby=["partner_id", "state", "currency_id"],
            aggregates=["__count", "amount:sum", "paid_amount:sum", "paid_date:max"],
        )
        currency = self.env.company.currency_id
        for partner in self:
            own = set(history.get(partner, ()))
            count, paid, unpaid, pending, last = 0, 0.0, 0.0, 0.0, False
            for (
                beneficiary,
                state,
                group_currency,
                n,
                amount,
                paid_amount,
                date,
            ) in groups:
                if beneficiary.id not in own:
                    continue
                count += n
                if group_currency != currency:
                    continue
                if state == "paid":
                    paid += paid_amount
                    last = max(filter(None, [last, date]), default=False)
                elif state in UNPAID_STATES:
                    unpaid += amount
                elif state in PENDING_STATES:
                    pending += amount
            partner.spp_history_count = count
            partner.spp_history_paid = currency.round(paid)
            partner.spp_history_unpaid = currency.round(unpaid)
            partner.spp_history_pending = currency.round(pending)
            partner.spp_history_last_date = last

    def action_spp_view_history_payments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "spp_payment_base.action_spp_payment"
        )
        action["domain"] = [("partner_id", "in", self._spp_audit_history_partner_ids())]
        action["context"] = {"search_default_group_channel": 1}
        return action

    def action_spp_print_payment_history(self):
        return self.env.ref(
            "spp_payment_audit.action_report_spp_payment_history"
        ).report_action(self)
