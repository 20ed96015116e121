# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.addons.spp_payment_base.tests.common import SppBaseCommon


class SppCycleCommon(SppBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._approve(cls.program)

    @classmethod
    def _approve(cls, record, maker="program_officer", checker="finance_manager"):
        record.with_user(cls.users[maker]).action_submit()
        record.with_user(cls.users[checker]).action_approve()
        return record

    @classmethod
    def _create_cycle(cls, **vals):
        return (
            cls.env["spp.payment.cycle"]
            .with_user(cls.users["program_officer"])
            .create(
                {
                    "name": "2026-11",
                    "program_id": cls.program.id,
                    "date_start": "2026-11-01",
                    "date_end": "2026-11-30",
                    "fixed_amount": 50.0,
                    **vals,
                }
            )
        )
