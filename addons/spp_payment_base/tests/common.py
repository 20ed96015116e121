# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase, new_test_user

ROLES = {
    "viewer": "spp_payment_base.group_spp_viewer",
    "program_officer": "spp_payment_base.group_spp_program_officer",
    "finance_officer": "spp_payment_base.group_spp_finance_officer",
    "finance_manager": "spp_payment_base.group_spp_finance_manager",
    "admin": "spp_payment_base.group_spp_admin",
}


class SppBaseCommon(TransactionCase):
    """Users for every role, an FSP, a program and a few registrants."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.users = {
            role: new_test_user(cls.env, login=f"spp_{role}", groups=group)
            for role, group in ROLES.items()
        }
        cls.manager2 = new_test_user(
            cls.env, login="spp_finance_manager2", groups=ROLES["finance_manager"]
        )
        cls.currency = cls.env.company.currency_id
        cls.fsp = cls.env["spp.fsp"].create(
            {"name": "Manual Bank", "provider": "manual", "state": "enabled"}
        )
        # Fixtures set phones just before paying: no quarantine here (it has
        # its own tests, which turn it on).
        cls.program = cls.env["spp.program"].create(
            {
                "name": "Child Grant",
                "code": "CG",
                "target_type": "household",
                "destination_quarantine_days": 0,
            }
        )
        cls.household = cls._create_household("HH-0001")
        cls.membership = cls.env["spp.program.membership"].create(
            {
                "program_id": cls.program.id,
                "partner_id": cls.household.id,
                "fsp_id": cls.fsp.id,
            }
        )

    @classmethod
    def _create_household(cls, number, **vals):
        return cls.env["res.partner"].create(
            {
                "name": f"Household {number}",
                "is_registrant": True,
                "registrant_type": "household",
                "registrant_number": number,
                **vals,
            }
        )

    @classmethod
    def _create_payment(cls, amount=100.0, **vals):
        return cls.env["spp.payment"].create(
            {
                "program_id": cls.program.id,
                "membership_id": cls.membership.id,
                "partner_id": cls.household.id,
                "fsp_id": cls.fsp.id,
                "amount": amount,
                **vals,
            }
        )
