# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import states

from odoo import models
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import SparseMany2one


class SppPayment(models.Model):
    _inherit = "spp.payment"

    # Empty at generation: a key without a per-row check (see SparseMany2one).
    merchant_settlement_id = SparseMany2one(
        "spp.merchant.settlement", readonly=True, index="btree_not_null"
    )

    def _spp_transition_effects(self, target, reason):
        """A settlement follows its payment, in the transition's statement:
        however the payment is reconciled (bank reply, callback, decision),
        its paid state marks the settlement paid."""
        effects = super()._spp_transition_effects(target, reason)
        settlement_state = {
            states.QUEUED: "approved",
            states.PAID: "paid",
            states.FAILED: "failed",
            states.REJECTED: "failed",
            states.REVERSED: "failed",
        }.get(target)
        if settlement_state:
            effects.append(
                SQL(
                    "UPDATE spp_merchant_settlement s SET state = %s, "
                    "write_date = now() at time zone 'utc' "
                    "FROM moved WHERE s.payment_id = moved.id",
                    settlement_state,
                )
            )
        return effects
