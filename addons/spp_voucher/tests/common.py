# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import uuid

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.spp_payroll.tests.common import SppPayrollCommon

CASHIER = "spp_voucher.group_spp_voucher_cashier"


class SppVoucherCommon(SppPayrollCommon):
    """The five digital households moved to the voucher channel, a voucher
    payroll approved (its vouchers issued), an approved grocery merchant and
    its cashier."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.members.write({"channel": "voucher"})
        cls.payroll = cls._approved_payroll(kind="voucher")
        cls.vouchers = cls.env["spp.voucher"].search(
            [("payment_id.payroll_id", "=", cls.payroll.id)], order="id"
        )
        cls.voucher = cls.vouchers.filtered(lambda v: v.partner_id == cls.household)
        cls.cashier = new_test_user(cls.env, login="spp_cashier", groups=CASHIER)
        cls.grocery = cls.env["spp.merchant.category"].create(
            {"name": "Grocery", "code": "grocery"}
        )
        cls.merchant = cls._approved_merchant("Duka", category_ids=cls.grocery.ids)

    @classmethod
    def _approved_merchant(cls, name, **vals):
        merchant = (
            cls.env["spp.merchant"]
            .with_user(cls.users["program_officer"])
            .create(
                {
                    "partner_id": cls.env["res.partner"].create({"name": name}).id,
                    "user_ids": [Command.link(cls.cashier.id)],
                    **vals,
                }
            )
        )
        return cls._approve(merchant)

    def _uuid(self):
        return str(uuid.uuid4())

    def _redeem(self, amount, voucher=None, merchant=None, user=None, **kw):
        model = self.env["spp.voucher"].with_user(user or self.cashier)
        return model._spp_redeem(
            (voucher or self.voucher)._spp_token(),
            amount,
            kw.pop("txn_uuid", None) or self._uuid(),
            merchant or self.merchant,
            **kw,
        )
