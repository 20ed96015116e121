# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The voucher part of the demo, built after spp_payment_demo's households,
program and users (see spp.demo.generator): a signing key for the demo
program, a voucher payroll submitted and waiting for a Finance Manager, the
simulated WhatsApp provider, a shop with two tills, a service point and the
bank the merchants are settled through. Each piece is made once (found again
by name), as the demo users of their role would make it: the payroll and the
merchants go through their maker-checker, the rest is configuration."""

import copy

from odoo import Command, api, models

from odoo.addons.spp_payment_demo.models.spp_demo_generator import DEMO_FSPS

PAYROLL_NAME = "Demo voucher payroll"
SHOP_NAME = "Demo Shop (Duka la Amina)"
SHOP_ACCOUNT = "KE55DEMO0000777000111"
SERVICE_POINT_NAME = "Demo Service Point (Lodwar)"
TILLS = ("Till 1", "Till 2")
TILL_OFFLINE_LIMIT = 200.0
SETTLEMENT_FSP = "Demo Bank (merchant settlements)"
# The CSV bank's layout and reply template, for the merchants' bank file.
SETTLEMENT_FSP_VALS = DEMO_FSPS["Demo Bank (CSV file)"]
PRODUCTS = [
    ("Maize flour 2 kg", 12.0),
    ("Rice 1 kg", 8.5),
    ("Cooking oil 1 L", 15.0),
    ("Beans 1 kg", 9.0),
    ("Soap bar", 2.5),
]
GROCERY = ("Grocery", "grocery")
# The demo's households are enrolled at random, one in twenty by voucher: a
# small demo gets at least these many voucher households.
MIN_VOUCHER_HOUSEHOLDS = 10


class SppDemoVoucher(models.AbstractModel):
    _name = "spp.demo.voucher"
    _description = "Voucher Demo Data"

    @api.model
    def _build(self, users):
        """The voucher demo over the demo program (made by spp_payment_demo
        first). Returns its pieces by name."""
        self.env["res.users"].check_access("create")  # administrators only
        program = self.env["spp.program"].search([("code", "=", "DEMO-CT")], limit=1)
        if not program:
            return {}
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.env["spp.voucher.key"]._spp_active_key(program, create=True)
        grocery = self._demo_category()
        shop = self._demo_merchant(
            SHOP_NAME, users, ["cashier", "shopmanager"], grocery, SHOP_ACCOUNT
        )
        return {
            "program": program,
            "provider": self.env["spp.demo.whatsapp"]._configure(base_url),
            "shop": shop,
            "service_point": self._demo_merchant(
                SERVICE_POINT_NAME, users, ["agent"], grocery
            ),
            "tills": self._demo_tills(shop),
            "products": self._demo_products(),
            "settlement_fsp": self._demo_settlement_fsp(),
            "payroll": self._demo_voucher_payroll(program, users),
        }

    @api.model
    def _demo_category(self):
        name, code = GROCERY
        categories = self.env["spp.merchant.category"]
        return categories.search([("code", "=", code)]) or categories.create(
            {"name": name, "code": code}
        )

    @api.model
    def _demo_merchant(self, name, users, cashiers, category, account=None):
        """A merchant entered by the Program Officer, approved by the Finance
        Manager, its cashiers the demo logins ``cashiers``."""
        merchant = self.env["spp.merchant"].search([("name", "=", name)], limit=1)
        if merchant:
            return merchant
        partner = self.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "bank_ids": [Command.create({"acc_number": account})]
                if account
                else [],
            }
        )
        merchant = (
            self.env["spp.merchant"]
            .with_user(users["officer"])
            .create(
                {
                    "partner_id": partner.id,
                    "category_ids": category.ids,
                    "user_ids": [Command.link(users[login].id) for login in cashiers],
                    "device_ids": ", ".join(TILLS) if account else False,
                }
            )
        )
        merchant.action_submit()
        merchant.with_user(users["manager"]).action_approve("Demo merchant")
        return merchant.sudo()

    @api.model
    def _demo_tills(self, shop):
        """Till 1 and Till 2 of the shop: cash of their own, and the voucher
        payment method (added by spp_voucher_pos when a till is linked to a
        merchant); signed vouchers accepted offline up to a limit."""
        configs = self.env["pos.config"]
        tills = configs.browse()
        for name in TILLS:
            till = configs.search([("name", "=", name)], limit=1)
            if not till:
                cash = configs._create_cash_payment_method({"name": f"Cash {name}"})
                till = configs.create(
                    {
                        "name": name,
                        "payment_method_ids": [Command.set(cash.ids)],
                        "spp_merchant_id": shop.id,
                        "spp_voucher_offline": True,
                        "spp_voucher_offline_limit": TILL_OFFLINE_LIMIT,
                    }
                )
            tills |= till
        return tills

    @api.model
    def _demo_products(self):
        products = self.env["product.product"]
        found = products.browse()
        for name, price in PRODUCTS:
            found |= products.search([("name", "=", name)], limit=1) or products.create(
                {
                    "name": name,
                    "list_price": price,
                    "type": "consu",
                    "available_in_pos": True,
                    "taxes_id": [Command.clear()],
                }
            )
        return found

    @api.model
    def _demo_settlement_fsp(self):
        """The file bank merchants are paid through: the demo CSV bank's
        layout and reply template."""
        fsps = self.env["spp.fsp"]
        return fsps.search([("name", "=", SETTLEMENT_FSP)], limit=1) or fsps.create(
            dict(copy.deepcopy(SETTLEMENT_FSP_VALS), name=SETTLEMENT_FSP)
        )

    @api.model
    def _demo_voucher_payroll(self, program, users):
        """The voucher payroll of the demo cycle, generated and submitted by
        the Program Officer: the new user approves it as the Finance Manager."""
        payrolls = self.env["spp.payroll"]
        payroll = payrolls.search(
            [("name", "=", PAYROLL_NAME), ("program_id", "=", program.id)], limit=1
        )
        if payroll:
            return payroll
        self._demo_voucher_members(program)
        cycle = self.env["spp.demo.generator"]._demo_cycle(program, users)
        payroll = payrolls.with_user(users["officer"]).create(
            {"name": PAYROLL_NAME, "cycle_id": cycle.id, "kind": "voucher"}
        )
        payroll.action_generate()
        payroll.action_submit()
        return payroll.sudo()

    @api.model
    def _demo_voucher_members(self, program):
        """At least MIN_VOUCHER_HOUSEHOLDS members paid by voucher: the first
        digital ones with a phone move over (a handful of rows)."""
        members = self.env["spp.program.membership"]
        enrolled = [("program_id", "=", program.id), ("state", "=", "enrolled")]
        missing = MIN_VOUCHER_HOUSEHOLDS - members.search_count(
            [*enrolled, ("channel", "=", "voucher")]
        )
        if missing > 0:
            members.search(
                [
                    *enrolled,
                    ("channel", "=", "digital"),
                    ("partner_id.phone_e164", "!=", False),
                ],
                order="id",
                limit=missing,
            ).write({"channel": "voucher"})
