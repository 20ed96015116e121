# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Issue 12's acceptance, walked through the demo as its users would, each
with their own rights (no sudo): the voucher payroll approved, its cards
printed and sent to the simulated WhatsApp, a sale at Till 1 paid part by
voucher part in cash, the same voucher refused beyond its balance at Till 2,
an offline voucher synced later and applied once, a redemption by ID at the
service point, and the shop's settlement approved, exported as a bank file and
reconciled from the bank's reply."""

import base64
import datetime
import io
from uuid import uuid4

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfReader

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs

from ..models.spp_demo_voucher import (
    MIN_VOUCHER_HOUSEHOLDS,
    PAYROLL_NAME,
    SERVICE_POINT_NAME,
    SETTLEMENT_FSP,
    SHOP_ACCOUNT,
    SHOP_NAME,
)


@tagged("post_install", "-at_install")
class TestDemoWalk(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The simulated services answer on the server the test talks to.
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", cls.base_url())
        params.set_param("report.url", cls.base_url())
        generator = cls.env["spp.demo.generator"]
        generator._generate(households=40)
        cls.users = generator._create_demo_users()
        cls.payroll = cls.env["spp.payroll"].search([("name", "=", PAYROLL_NAME)])
        cls.provider = cls.env["spp.demo.whatsapp"]._provider()
        merchants = cls.env["spp.merchant"]
        cls.shop = merchants.search([("name", "=", SHOP_NAME)])
        cls.service_point = merchants.search([("name", "=", SERVICE_POINT_NAME)])
        configs = cls.env["pos.config"]
        cls.till1 = configs.search([("name", "=", "Till 1")])
        cls.till2 = configs.search([("name", "=", "Till 2")])
        products = cls.env["product.product"]
        cls.flour = products.search([("name", "=", "Maize flour 2 kg")])
        cls.oil = products.search([("name", "=", "Cooking oil 1 L")])
        cls.rice = products.search([("name", "=", "Rice 1 kg")])
        cls.settlement_fsp = cls.env["spp.fsp"].search([("name", "=", SETTLEMENT_FSP)])

    def _user(self, login):
        return self.users[login]

    # The demo as a new user finds it --------------------------------------

    def test_demo_waits_for_the_walk(self):
        payroll = self.payroll
        self.assertEqual(len(payroll), 1)
        self.assertEqual(payroll.kind, "voucher")
        self.assertEqual(payroll.approval_state, "submitted")
        self.assertGreaterEqual(payroll.payment_count, MIN_VOUCHER_HOUSEHOLDS)
        self.assertFalse(payroll.voucher_count, "vouchers come with the approval")
        with self.assertRaises(UserError):  # the officer prepared it
            payroll.with_user(self._user("officer")).action_approve()
        self.assertTrue(
            self.env["spp.voucher.key"].search(
                [("program_id", "=", payroll.program_id.id), ("state", "=", "active")]
            )
        )
        self.assertEqual(self.provider.kind, "whatsapp_cloud")
        self.assertTrue(
            self.provider.api_url.startswith(
                f"{self.base_url()}/spp_voucher_demo/whatsapp/"
            )
        )
        for merchant in (self.shop, self.service_point):
            self.assertEqual(merchant.approval_state, "approved")
        self.assertIn(self._user("cashier"), self.shop.user_ids)
        self.assertIn(self._user("agent"), self.service_point.user_ids)
        for till in (self.till1, self.till2):
            self.assertEqual(till.spp_merchant_id, self.shop)
            methods = till.payment_method_ids
            self.assertEqual(len(methods), 2)
            self.assertEqual(methods.filtered("is_cash_count").config_ids, till)
            voucher_method = till._spp_voucher_payment_method()
            self.assertEqual(voucher_method.use_payment_terminal, "spp_voucher")
            self.assertEqual(
                methods - voucher_method, methods.filtered("is_cash_count")
            )
            self.assertTrue(till.spp_voucher_offline)
        self.assertTrue(self.flour.available_in_pos)
        self.assertEqual(self.settlement_fsp.provider, "file")
        self.assertEqual(self.shop.partner_id.bank_ids.acc_number, SHOP_ACCOUNT)
        # Building again finds everything made: nothing twice.
        counts = self._demo_counts()
        self.env["spp.demo.voucher"]._build(self.users)
        self.assertEqual(self._demo_counts(), counts)

    def _demo_counts(self):
        return [
            self.env[model].search_count([])
            for model in (
                "spp.payroll",
                "spp.merchant",
                "pos.config",
                "product.product",
                "spp.fsp",
                "spp.notification.provider",
                "spp.voucher.key",
            )
        ]

    # The walk ---------------------------------------------------------------

    def test_acceptance_walk(self):
        vouchers = self._approve_payroll()
        secrets = vouchers.with_user(self._user("finance"))._spp_card_secrets()
        self._print_cards(vouchers, secrets)
        self._send_by_whatsapp(vouchers, secrets)
        first, second, third = vouchers[:3]
        till1 = self._open_session(self.till1)
        till2 = self._open_session(self.till2)
        self._sell_part_voucher_part_cash(till1, till2, first, secrets[first.id][1])
        self._sell_offline(till1, second, secrets[second.id][1])
        self._redeem_by_id(third)
        self._settle_shop(first, second)

    def test_till_in_the_browser(self):
        """The cashier's sale at Till 1, in Chromium: 2 maize flour and a
        cooking oil (39.00), 30.00 by voucher (the code typed from the card),
        9.00 in cash, the balance left on the receipt."""
        voucher, code, _token = self._voucher_of(50.7)
        order = self._tour(voucher, code, "20.70", "spp_voucher_demo_till")
        redemption = voucher.redemption_ids
        self.assertEqual(
            (redemption.state, redemption.amount, redemption.offline),
            ("captured", 30.0, False),
        )
        self.assertEqual(sorted(order.payment_ids.mapped("amount")), [9.0, 30.0])

    def test_till_offline_in_the_browser(self):
        """The network is cut: Till 1 verifies the signed QR in the browser,
        sells 2 maize flour (24.00), 20.50 by voucher and 3.50 in cash, and
        syncs the order when the network is back."""
        voucher, _code, token = self._voucher_of(50.7)
        order = self._tour(voucher, token, "30.20", "spp_voucher_demo_till_offline")
        redemption = voucher.redemption_ids
        self.assertEqual(
            (redemption.state, redemption.amount, redemption.offline),
            ("captured", 20.5, True),
        )
        self.assertEqual(sorted(order.payment_ids.mapped("amount")), [3.5, 20.5])

    def _voucher_of(self, amount):
        """A voucher of ``amount`` of the approved payroll, with its card's
        code and signed token."""
        vouchers = self._approve_payroll()
        voucher = vouchers.filtered(lambda v: v.amount == amount)[:1]
        self.assertTrue(voucher, f"a voucher of {amount}")
        finance = self._user("finance")
        code, token = vouchers.with_user(finance)._spp_card_secrets()[voucher.id]
        return voucher, code, token

    def _tour(self, voucher, scanned, balance, tour):
        """Run ``tour`` at Till 1 as the cashier; ``scanned`` (the code or
        the token) rides in the till's receipt header, the tour checks
        ``balance`` on the screen and the receipt. Returns the order."""
        self.till1.receipt_header = scanned
        self._open_session(self.till1, opened=False)
        self.start_tour(f"/pos/ui/{self.till1.id}", tour, login="cashier")
        voucher.invalidate_recordset()
        self.assertEqual(f"{voucher.balance:.2f}", balance)
        self.assertEqual(voucher.redemption_ids.cashier_id, self._user("cashier"))
        order = self.env["pos.order"].search(
            [("session_id.config_id", "=", self.till1.id)]
        )
        self.assertEqual(order.state, "paid")
        return order

    def _approve_payroll(self):
        self.payroll.with_user(self._user("manager")).action_approve()
        self.assertEqual(self.payroll.approval_state, "approved")
        vouchers = self.env["spp.voucher"].search(
            [("payment_id.payroll_id", "=", self.payroll.id)], order="id"
        )
        self.assertEqual(len(vouchers), self.payroll.payment_count)
        self.assertEqual(set(vouchers.mapped("state")), {"active"})
        self.assertEqual(
            [v.amount for v in vouchers],
            [v.payment_id.amount for v in vouchers],
        )
        return vouchers

    def _print_cards(self, vouchers, secrets):
        finance = self._user("finance")
        action = self.payroll.with_user(finance).action_print_voucher_cards()
        self.assertEqual(sorted(action["context"]["active_ids"]), vouchers.ids)
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_user(finance)
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(action["report_name"], vouchers.ids)
        )
        self.assertEqual(kind, "pdf")
        pages = PdfReader(io.BytesIO(pdf)).pages
        text = " ".join(" ".join(page.extract_text() for page in pages).split())
        for voucher in vouchers:
            self.assertIn(voucher.name, text)
            self.assertIn(secrets[voucher.id][0], text)
            self.assertIn(f"{voucher.amount:.2f} {voucher.currency_id.name}", text)

    def _send_by_whatsapp(self, vouchers, secrets):
        simulator = self.env["spp.demo.whatsapp"]._simulator()
        received = len(simulator.sent)
        # The simulated WhatsApp is served by this Odoo: its requests are the
        # test's own (as the browser's of a tour are).
        # The payroll's Send Vouchers button opens this screen.
        wizard = (
            self.env["spp.voucher.send"]
            .with_user(self._user("finance"))
            .with_context(default_payroll_id=self.payroll.id)
            .create({"provider_id": self.provider.id})
        )
        self.assertEqual(wizard.voucher_count, len(vouchers))
        with self.allow_requests(all_requests=True), trap_jobs() as trap:
            notice = wizard.action_send()
            perform_jobs(trap)
        self.assertEqual(notice["params"]["type"], "success")
        self.env.invalidate_all()
        deliveries = self.env["spp.voucher.delivery"].search(
            [("voucher_id", "in", vouchers.ids)]
        )
        self.assertEqual(deliveries.voucher_id, vouchers, "one delivery per voucher")
        # The simulator refuses numbers ending in 0009, as WhatsApp refuses
        # numbers outside its allowed list; it takes every other one.
        refused = deliveries.filtered(lambda d: d.recipient.endswith("0009"))
        taken = deliveries - refused
        self.assertTrue(taken)
        self.assertEqual(set(taken.mapped("state")), {"sent"})
        self.assertEqual(set(refused.mapped("state")) - {"failed"}, set())
        self.assertEqual(len(simulator.sent) - received, len(taken))
        self.assertEqual(simulator.violations, [])
        codes = {d.recipient.lstrip("+"): secrets[d.voucher_id.id][0] for d in taken}
        for to, body in simulator.sent[received:]:
            parameters = body["template"]["components"][0]["parameters"]
            self.assertIn(codes[to], [p["text"] for p in parameters])
        # "Later", the simulated WhatsApp reports the messages delivered (a
        # number ending in 0008 fails after being sent).
        with self.allow_requests(all_requests=True):
            self.env["spp.demo.whatsapp"]._cron_report_statuses()
        self.env.invalidate_all()
        for delivery in taken:
            expected = "failed" if delivery.recipient.endswith("0008") else "delivered"
            self.assertEqual(delivery.state, expected, delivery.recipient)
        # The simulated phones' inbox, for who may read voucher codes only.
        self.authenticate("finance", "finance")
        inbox = self.url_open("/spp_voucher_demo/whatsapp_inbox")
        self.assertEqual(inbox.status_code, 200)
        for code in codes.values():
            self.assertIn(code, inbox.text)
        self.authenticate("cashier", "cashier")
        inbox = self.url_open("/spp_voucher_demo/whatsapp_inbox")
        self.assertEqual(inbox.status_code, 403)
        self.assertNotIn(next(iter(codes.values())), inbox.text)

    # At the tills -----------------------------------------------------------

    def _open_session(self, till, opened=True):
        cashier = self._user("cashier")
        till.with_user(cashier).open_ui()
        session = till.current_session_id
        self.assertEqual(session.user_id, cashier)
        if not opened:
            return session  # the cashier opens the register in the browser
        session.with_user(cashier).set_opening_control(0, None)
        self.assertEqual(session.state, "opened")
        return session.with_user(cashier)

    def _authorize(self, session, token, amount, uuid=None):
        method = session.config_id._spp_voucher_payment_method()
        return method.with_user(self._user("cashier")).spp_voucher_authorize(
            session.id, token, amount, uuid or str(uuid4())
        )

    def _order(self, session, lines, payments):
        """The sync payload a till sends for a paid order: ``lines`` of
        (product, quantity), ``payments`` of (method, amount, extra values)."""
        now = fields.Datetime.to_string(fields.Datetime.now())
        order_lines = [
            (
                0,
                0,
                {
                    "product_id": product.id,
                    "qty": qty,
                    "price_unit": product.lst_price,
                    "price_subtotal": product.lst_price * qty,
                    "price_subtotal_incl": product.lst_price * qty,
                    "discount": 0.0,
                    "tax_ids": [(6, 0, [])],
                    "pack_lot_ids": [],
                },
            )
            for product, qty in lines
        ]
        total = sum(line[2]["price_subtotal_incl"] for line in order_lines)
        payment_lines = [
            (
                0,
                0,
                {"amount": amount, "name": now, "payment_method_id": m.id, **extra},
            )
            for m, amount, extra in payments
        ]
        uuid = str(uuid4())
        return {
            "amount_paid": sum(p[2]["amount"] for p in payment_lines),
            "amount_return": 0,
            "amount_tax": 0,
            "amount_total": total,
            "date_order": now,
            "fiscal_position_id": False,
            "pricelist_id": session.config_id.pricelist_id.id,
            "name": f"Order {uuid}",
            "last_order_preparation_change": "{}",
            "lines": order_lines,
            "partner_id": False,
            "session_id": session.id,
            "payment_ids": payment_lines,
            "uuid": uuid,
            "user_id": self._user("cashier").id,
            "to_invoice": False,
        }

    def _sync(self, data):
        orders = self.env["pos.order"].with_user(self._user("cashier"))
        result = orders.sync_from_ui([data])
        return orders.browse(result["pos.order"][0]["id"])

    def _methods(self, session):
        config = session.config_id
        cash = config.payment_method_ids.filtered("is_cash_count")
        return config._spp_voucher_payment_method(), cash

    def _sell_part_voucher_part_cash(self, till1, till2, voucher, token):
        """2 maize flour and a cooking oil (39.00): 30.00 by voucher, 9.00 in
        cash at Till 1; Till 2 meanwhile cannot take more than what is left."""
        currency = voucher.currency_id
        left = currency.round(voucher.amount - 30.0)
        uuid = str(uuid4())
        answer = self._authorize(till1, token, 30.0, uuid)
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["balance"], left)
        # The same voucher scanned at the second till, before Till 1 synced.
        refused = self._authorize(till2, token, left + 0.01)
        self.assertFalse(refused["ok"])
        voucher_method, cash = self._methods(till1)
        data = self._order(
            till1,
            [(self.flour, 2), (self.oil, 1)],
            [
                (
                    voucher_method,
                    30.0,
                    {
                        "uuid": uuid,
                        "spp_voucher_token": token,
                        "payment_status": "done",
                    },
                ),
                (cash, 9.0, {}),
            ],
        )
        order = self._sync(data)
        self.assertEqual(order.state, "paid")
        self.assertEqual(currency.compare_amounts(order.amount_total, 39.0), 0)
        voucher.invalidate_recordset()
        self.assertEqual(voucher.balance, left)
        self.assertEqual(voucher.state, "partial")
        # What the receipt prints under the voucher line.
        line = order.payment_ids.filtered(lambda p: p.uuid == uuid)
        self.assertEqual(line.spp_voucher_name, voucher.name)
        self.assertEqual(line.spp_voucher_balance, left)
        self.assertFalse(line.spp_voucher_token, "the token is never stored")
        self.assertEqual(line.spp_redemption_id.state, "captured")
        self.assertEqual(line.spp_redemption_id.cashier_id, self._user("cashier"))
        # After the sale, Till 2 still cannot overspend the voucher.
        refused = self._authorize(till2, token, left + 0.01)
        self.assertFalse(refused["ok"])
        self.assertIn("available", refused["error"])
        self.assertEqual(len(voucher.redemption_ids), 1)

    def _sell_offline(self, till, voucher, token):
        """The network is cut: the till verified the signed voucher with the
        keys it loaded and sold 17.50 by voucher; the order syncs when the
        network is back, and again (a retried sync): applied once."""
        config = till.config_id
        loaded = config._load_pos_data_read(config, config)
        kids = [key["kid"] for key in loaded[0]["_spp_voucher_keys"]]
        self.assertIn(voucher.key_id.kid, kids)
        voucher_method, _cash = self._methods(till)
        uuid = str(uuid4())
        data = self._order(
            till,
            [(self.rice, 1), (self.flour, 1)],
            [
                (
                    voucher_method,
                    20.5,
                    {
                        "uuid": uuid,
                        "spp_voucher_token": token,
                        "spp_voucher_offline": True,
                        "payment_status": "done",
                    },
                )
            ],
        )
        again = dict(
            data, payment_ids=[(0, 0, dict(p[2])) for p in data["payment_ids"]]
        )
        order = self._sync(data)
        self.assertEqual(order.state, "paid")
        voucher.invalidate_recordset()
        left = voucher.currency_id.round(voucher.amount - 20.5)
        self.assertEqual(voucher.balance, left)
        redemption = voucher.redemption_ids
        self.assertEqual(len(redemption), 1)
        self.assertTrue(redemption.offline)
        self.assertEqual(redemption.state, "captured")
        self._sync(again)
        voucher.invalidate_recordset()
        self.assertEqual(voucher.balance, left)
        self.assertEqual(len(voucher.redemption_ids), 1)

    # At the service point -----------------------------------------------------

    def _redeem_by_id(self, voucher):
        agent = self._user("agent")
        registrant = voucher.partner_id.registrant_number
        wizard = (
            self.env["spp.voucher.id.redeem"]
            .with_user(agent)
            .create({"id_number": registrant})
        )
        self.assertEqual(wizard.merchant_id, self.service_point)
        wizard.action_lookup()
        line = wizard.line_ids.filtered(lambda v: v.name == voucher.name)
        self.assertEqual(len(line), 1)
        line.amount = 20.0
        line.action_redeem()
        voucher.invalidate_recordset()
        left = voucher.currency_id.round(voucher.amount - 20.0)
        self.assertEqual(voucher.balance, left)
        redemption = voucher.redemption_ids
        self.assertEqual(
            (redemption.channel, redemption.merchant_id, redemption.cashier_id),
            ("id", self.service_point, agent),
        )
        self.assertIn(f"{left:.2f} left", wizard.message)

    # The shop is paid -------------------------------------------------------

    def _settle_shop(self, *vouchers):
        finance, manager = self._user("finance"), self._user("manager")
        today = fields.Date.context_today(self.shop)
        settlement = (
            self.env["spp.merchant.settlement"]
            .with_user(finance)
            .create(
                {
                    "merchant_id": self.shop.id,
                    "program_id": self.payroll.program_id.id,
                    "date_from": today - datetime.timedelta(days=1),
                    "date_to": today,
                    "fsp_id": self.settlement_fsp.id,
                }
            )
        )
        settlement.action_collect()
        self.assertEqual(settlement.redemption_count, 2)
        self.assertEqual(
            settlement.redemption_ids.voucher_id, vouchers[0] | vouchers[1]
        )
        currency = settlement.currency_id
        self.assertEqual(currency.compare_amounts(settlement.amount_due, 50.5), 0)
        settlement.action_submit()
        with self.assertRaises(UserError):  # the officer who made it
            settlement.action_approve()
        self.assertEqual(settlement.approval_state, "submitted")
        with trap_jobs() as trap:
            settlement.with_user(manager).action_approve()
            perform_jobs(trap)
        settlement.invalidate_recordset()
        payment = settlement.payment_id
        self.assertEqual(payment.state, "sent")
        payment_file = (
            self.env["spp.payment.file"]
            .with_user(finance)
            .search([("fsp_id", "=", self.settlement_fsp.id)])
        )
        self.assertEqual(len(payment_file), 1)
        content = payment_file._spp_verified_content().decode()
        self.assertIn(
            f"{payment.reference},,{SHOP_NAME},{SHOP_ACCOUNT},50.50,{currency.name}",
            content,
        )
        self._reconcile_from_the_bank_reply(settlement, today)

    def _reconcile_from_the_bank_reply(self, settlement, today):
        finance, manager = self._user("finance"), self._user("manager")
        action = settlement.with_user(finance).action_import_bank_reply()
        reply = (
            "reference,status,amount,date,receipt\n"
            f"{settlement.payment_id.reference},paid,50.50,{today},BANK-0001\n"
        )
        wizard = (
            self.env["spp.reconciliation.import"]
            .with_user(finance)
            .with_context(**action["context"])
            .create(
                {
                    "data": base64.b64encode(reply.encode()),
                    "file_name": "bank-reply.csv",
                }
            )
        )
        wizard.action_check()
        self.assertEqual(wizard.error_count, 0, wizard.result_html)
        batch = self.env["spp.reconciliation"].browse(wizard.action_import()["res_id"])
        batch.with_user(manager).action_approve()
        settlement.invalidate_recordset()
        self.assertEqual(settlement.payment_id.state, "paid")
        self.assertEqual(settlement.state, "paid")
