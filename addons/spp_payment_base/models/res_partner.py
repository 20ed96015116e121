# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core.phone import normalize_msisdn

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..models.spp_payment import CHANNELS
from ..tools import guarded_write

# Where a payment to the registrant goes (bank accounts: see res.partner.bank).
DESTINATION_FIELDS = ("phone_e164",)
REGISTRANT_CREATE = "registrant_create"


class ResPartner(models.Model):
    _inherit = "res.partner"

    is_registrant = fields.Boolean(index=True, copy=False)
    registrant_type = fields.Selection(
        [("individual", "Individual"), ("household", "Household")], index=True
    )
    registrant_number = fields.Char(
        string="Registrant ID", index=True, copy=False, help="Unique in the registry."
    )
    national_id = fields.Char(string="National ID", index=True, copy=False)
    birthdate = fields.Date()
    gender = fields.Selection(
        [("female", "Female"), ("male", "Male"), ("other", "Other")]
    )
    phone_e164 = fields.Char(
        string="Mobile (E.164)",
        index=True,
        copy=False,
        help="Mobile money number in international form, normalised on save.",
    )
    area_id = fields.Many2one("spp.area", index=True, ondelete="restrict")
    has_disability = fields.Boolean(string="Disability")
    household_membership_ids = fields.One2many(
        "spp.group.membership", "individual_id", string="Households"
    )
    member_ids = fields.One2many(
        "spp.group.membership", "group_id", string="Household Members"
    )
    member_count = fields.Integer(compute="_compute_member_count")
    spp_payment_count = fields.Integer(
        string="Payments", compute="_compute_spp_payment_history"
    )
    spp_paid_total = fields.Monetary(
        currency_field="spp_history_currency_id",
        string="Total Paid",
        compute="_compute_spp_payment_history",
    )
    spp_history_currency_id = fields.Many2one(
        "res.currency", compute="_compute_spp_payment_history"
    )
    spp_last_payment_date = fields.Datetime(
        string="Last Payment", compute="_compute_spp_payment_history"
    )
    spp_paid_digital = fields.Monetary(
        currency_field="spp_history_currency_id",
        string="Paid Digitally",
        compute="_compute_spp_payment_history",
    )
    spp_paid_payment_point = fields.Monetary(
        currency_field="spp_history_currency_id",
        string="Paid at Payment Points",
        compute="_compute_spp_payment_history",
    )
    spp_paid_voucher = fields.Monetary(
        currency_field="spp_history_currency_id",
        string="Paid by Voucher",
        compute="_compute_spp_payment_history",
    )

    _registrant_number_unique = models.UniqueIndex(
        "(registrant_number) WHERE registrant_number IS NOT NULL",
        "This registrant ID is already used by another registrant.",
    )

    @api.depends("member_ids")
    def _compute_member_count(self):
        for partner in self:
            partner.member_count = len(partner.member_ids)

    def _spp_history_partner_ids(self):
        """Beneficiaries whose payments count for this partner: a household also
        counts the payments of its members."""
        self.ensure_one()
        return [self.id, *self.member_ids.individual_id.ids]

    def _compute_spp_payment_history(self):
        channels = [code for code, _label in CHANNELS]
        for partner in self:
            stats = {"count": 0, "total": 0.0, "last": False}
            stats.update({channel: 0.0 for channel in channels})
            if partner.id and partner.is_registrant:
                stats.update(partner._spp_payment_stats())
            partner.spp_history_currency_id = partner.env.company.currency_id
            partner.spp_payment_count = stats["count"]
            partner.spp_paid_total = stats["total"]
            partner.spp_last_payment_date = stats["last"]
            partner.spp_paid_digital = stats["digital"]
            partner.spp_paid_payment_point = stats["payment_point"]
            partner.spp_paid_voucher = stats["voucher"]

    def _spp_payment_stats(self):
        payments = self.env["spp.payment"]
        payments.check_access("read")
        domain = [("partner_id", "in", self._spp_history_partner_ids())]
        count = payments.search_count(domain)
        # Totals are in the company currency; payments in other currencies are
        # counted but not summed.
        paid = payments._read_group(
            domain
            + [
                ("state", "=", "paid"),
                ("currency_id", "=", self.env.company.currency_id.id),
            ],
            groupby=["channel"],
            aggregates=["paid_amount:sum", "paid_date:max"],
        )
        stats = {"count": count, "total": 0.0, "last": False}
        for channel, amount, last in paid:
            stats[channel] = amount
            stats["total"] += amount
            stats["last"] = max(filter(None, [stats["last"], last]), default=False)
        return stats

    def action_view_spp_payments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "spp_payment_base.action_spp_payment"
        )
        action["domain"] = [("partner_id", "in", self._spp_history_partner_ids())]
        action["context"] = {"search_default_group_channel": 1}
        return action

    # Registry invariants -------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._spp_normalize_phone_vals(vals)
        # The bank accounts a registrant is created with are not changes.
        with guarded_write(REGISTRANT_CREATE):
            return super().create(vals_list)

    def write(self, vals):
        self._spp_normalize_phone_vals(vals)
        tracked = [f for f in DESTINATION_FIELDS if f in vals]
        registrants = self.filtered("is_registrant") if tracked else self.browse()
        changes = self.env["spp.destination.change"]
        before = changes._spp_snapshot(registrants, tracked)
        result = super().write(vals)
        if registrants:
            changes._spp_log(registrants, before, tracked)
        return result

    def _spp_normalize_phone_vals(self, vals):
        if vals.get("phone_e164"):
            try:
                vals["phone_e164"] = normalize_msisdn(
                    vals["phone_e164"], self._spp_default_country_code(vals)
                )
            except ValueError as error:
                raise ValidationError(
                    self.env._("Invalid mobile number: %s", error)
                ) from error

    def _spp_default_country_code(self, vals):
        country = self.env["res.country"].browse(vals.get("country_id"))
        if not country and len(self) == 1:
            country = self.country_id
        country = country or self.env.company.country_id
        return country.phone_code or None

    @api.constrains("is_registrant", "registrant_type")
    def _check_registrant_type(self):
        for partner in self:
            if partner.is_registrant and not partner.registrant_type:
                raise ValidationError(
                    self.env._(
                        "Registrant %s must be an individual or a household.",
                        partner.display_name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_beneficiary(self):
        # spp.payment.partner_id has no foreign key (see DerivedMany2one).
        self.env["spp.payment"]._spp_refuse_unlink_of(self, "partner_id")
