# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from ..tools import is_guarded_write
from .res_partner import REGISTRANT_CREATE

# What decides the account a payment goes to (the registrant's first active one).
BANK_FIELDS = ("acc_number", "active", "bank_id", "partner_id")


class ResPartnerBank(models.Model):
    """A registrant's bank accounts are payment destinations: every addition,
    change and removal is logged in spp.destination.change."""

    _inherit = "res.partner.bank"

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        if not is_guarded_write(REGISTRANT_CREATE):
            added = accounts._spp_of_registrants()
            self.env["spp.destination.change"]._spp_log(added, {}, BANK_FIELDS[:1])
        return accounts

    def write(self, vals):
        tracked = [f for f in BANK_FIELDS if f in vals]
        accounts = self if tracked else self.browse()
        changes = self.env["spp.destination.change"]
        before = changes._spp_snapshot(accounts, tracked)
        if "partner_id" in vals:
            # The account leaves its registrant: a removal for that one.
            self._spp_log_removal(accounts._spp_of_registrants())
        result = super().write(vals)
        if accounts:
            changes._spp_log(accounts._spp_of_registrants(), before, tracked)
        return result

    def unlink(self):
        self._spp_log_removal(self._spp_of_registrants())
        return super().unlink()

    def _spp_of_registrants(self):
        return self.filtered(lambda account: account.partner_id.is_registrant)

    def _spp_log_removal(self, accounts):
        changes = self.env["spp.destination.change"]
        before = changes._spp_snapshot(accounts, ("acc_number",))
        label = self._fields["acc_number"].string
        changes.sudo().create(
            [
                {
                    **changes._spp_owner_vals(account, False),
                    "model": self._name,
                    "field_name": "acc_number",
                    "field_label": label,
                    "old_value": before[account.id]["acc_number"],
                    "new_value": False,
                    "user_id": self.env.uid,
                    "change_date": self.env.cr.now(),
                }
                for account in accounts
            ]
        )
