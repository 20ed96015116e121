# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Issue 14's acceptance, walked through the demo as its users would, each
with their own rights (no sudo): a donor contribution funds the program; the
payroll above the fund is refused at approval with the figures; a top-up
lets it through at a rate the Finance Manager froze; the bank's pain.001
carries shillings; the bank's camt.053 statement sets its balance and
confirms the booked payments; the program's accounting report ties to the
payroll's summary to the cent."""

import base64
import re
from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs

from ..models.spp_demo_books import (
    AMOUNT,
    BANK,
    BANK_ACCOUNT,
    BANK_OPENING,
    CONTRIBUTION,
    MEMBERS,
    PAYROLL_NAME,
    PROGRAM_CODE,
    RATE,
    RATE_SOURCE,
    TOP_UP,
)


def _cents(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


@tagged("post_install", "-at_install")
class TestBooksWalk(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The simulated services answer on the server the test talks to.
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", cls.base_url())
        generator = cls.env["spp.demo.generator"]
        generator._generate(households=40)
        cls.users = generator._create_demo_users()
        cls.program = cls.env["spp.program"].search([("code", "=", PROGRAM_CODE)])
        cls.payroll = cls.env["spp.payroll"].search([("name", "=", PAYROLL_NAME)])
        cls.bank = cls.env["spp.fsp"].search([("name", "=", BANK)])
        cls.usd = cls.env.ref("base.USD")
        cls.kes = cls.env.ref("base.KES")
        cls.contribution = cls.env["spp.program.contribution"].search(
            [("program_id", "=", cls.program.id)]
        )

    def _user(self, login):
        return self.users[login]

    # The demo as a new user finds it --------------------------------------

    def test_demo_waits_for_the_walk(self):
        program, payroll = self.program, self.payroll
        self.assertEqual(program.approval_state, "approved")
        self.assertEqual(program.currency_id, self.usd)
        self.assertTrue(program.fund_control)
        self.assertTrue(program.account_posting)
        self.assertTrue(self.bank.account_clearing_id)
        self.assertEqual(
            (self.bank.provider, self.bank.currency_id, self.bank.iso_debtor_account),
            ("file", self.kes, BANK_ACCOUNT),
        )
        self.assertEqual(
            (self.contribution.approval_state, self.contribution.amount),
            ("submitted", CONTRIBUTION),
        )
        self.assertEqual(program.fund_available, 0.0, "the contribution waits")
        self.assertEqual(payroll.approval_state, "submitted")
        self.assertEqual(payroll.payment_count, MEMBERS)
        self.assertEqual(_cents(payroll.total_amount), _cents(MEMBERS * AMOUNT))
        self.assertEqual(set(payroll.payment_ids.mapped("fsp_id")), {self.bank})
        with self.assertRaises(UserError):  # the officer prepared it
            payroll.with_user(self._user("officer")).action_approve()
        # Building again finds everything made: nothing twice.
        counts = self._demo_counts()
        self.env["spp.demo.books"]._build(self.users)
        self.assertEqual(self._demo_counts(), counts)

    def _demo_counts(self):
        return [
            self.env[model].search_count([])
            for model in (
                "spp.program",
                "spp.program.membership",
                "spp.payment.cycle",
                "spp.payroll",
                "spp.program.contribution",
                "spp.fsp",
                "account.account",
                "account.journal",
            )
        ]

    # The walk ---------------------------------------------------------------

    def test_acceptance_walk(self):
        self._enter_rate()
        self._fund_and_refuse_above_it()
        self._approve_at_the_frozen_rate()
        content = self._execute()
        self._file_shows_shillings(content)
        self._statement_sets_balance_and_confirms()
        self._report_ties_to_the_summary()

    # 1. Program funds --------------------------------------------------------

    def _fund_and_refuse_above_it(self):
        manager, finance = self._user("manager"), self._user("finance")
        with self.assertRaises(UserError):  # who recorded it never approves
            self.contribution.with_user(finance).action_approve()
        self.contribution.with_user(manager).action_approve()
        self.assertEqual(self.contribution.approval_state, "approved")
        self.program.invalidate_recordset()
        self.assertEqual(self.program.with_user(finance).fund_available, CONTRIBUTION)
        total = MEMBERS * AMOUNT
        with self.assertRaises(UserError) as caught:
            self.payroll.with_user(manager).action_approve()
        message = str(caught.exception)
        self.assertIn("exceeds the fund left", message)
        for figure in (total, CONTRIBUTION, total - CONTRIBUTION):
            self.assertIn(self.usd.format(figure), message)
        self.payroll.invalidate_recordset()
        self.assertEqual(self.payroll.approval_state, "submitted")
        # The donor tops the fund up: recorded by finance, approved by a manager.
        top_up = (
            self.env["spp.program.contribution"]
            .with_user(finance)
            .create(
                {
                    "program_id": self.program.id,
                    "donor_id": self.contribution.donor_id.id,
                    "amount": TOP_UP,
                    "currency_id": self.usd.id,
                    "reference": "HARF-2026-002",
                }
            )
        )
        top_up.action_submit()
        top_up.with_user(manager).action_approve()
        self.program.invalidate_recordset()
        self.assertEqual(self.program.fund_available, CONTRIBUTION + TOP_UP)

    # 4. Multi-currency ---------------------------------------------------------

    def _enter_rate(self):
        """The Finance Manager enters the payroll's KES rate with its source
        (without one, or an Odoo rate, the approval is refused naming the
        currency pair)."""
        manager = self._user("manager")
        with self.assertRaisesRegex(UserError, "no exchange rate from USD to KES"):
            self.payroll.with_user(manager).action_approve()
        Rate = self.env["spp.payroll.rate"]
        with self.assertRaises(UserError):  # a Finance Manager's rate only
            Rate.with_user(self._user("finance")).create(
                {
                    "payroll_id": self.payroll.id,
                    "to_currency_id": self.kes.id,
                    "rate": 1.0,
                    "source_note": "x",
                }
            )
        Rate.with_user(manager).create(
            {
                "payroll_id": self.payroll.id,
                "to_currency_id": self.kes.id,
                "rate": RATE,
                "source_note": RATE_SOURCE,
            }
        )

    def _approve_at_the_frozen_rate(self):
        self.payroll.with_user(self._user("manager")).action_approve()
        self.assertEqual(self.payroll.approval_state, "approved")
        rate = self.payroll.rate_ids
        self.assertEqual(
            (rate.from_currency_id, rate.to_currency_id, rate.rate, rate.frozen),
            (self.usd, self.kes, RATE, True),
        )
        # 48.25 USD at 129.37: 6242.1025, 6242.10 shillings.
        for payment in self.payroll.payment_ids:
            self.assertEqual(payment.fsp_currency_id, self.kes)
            self.assertEqual(_cents(payment.fsp_amount), Decimal("6242.10"))
        # Committed: what is left of the fund is the top-up's rest.
        self.program.invalidate_recordset()
        self.assertEqual(
            _cents(self.program.fund_available),
            _cents(CONTRIBUTION + TOP_UP - MEMBERS * AMOUNT),
        )

    def _execute(self):
        finance, manager = self._user("finance"), self._user("manager")
        # The bank has no balance API and no statement yet: unknown, never
        # "sufficient"; execution waits for a Finance Manager's confirmation.
        (line,) = self.payroll.with_user(finance).action_check_balances()
        self.assertEqual(line["balance_state"], "unknown")
        with self.assertRaises(UserError):
            self.payroll.with_user(finance).action_execute()
        with self.assertRaises(AccessError):
            self.payroll.with_user(finance).action_confirm_funding(
                self.bank.ids, "trust me"
            )
        self.payroll.with_user(manager).action_confirm_funding(
            self.bank.ids, "Bank's letter of this morning: account funded"
        )
        with trap_jobs() as trap:
            self.payroll.with_user(finance).action_execute()
            perform_jobs(trap)
        self.assertEqual(
            set(self.payroll.payment_ids.mapped("state")), {"sent"}, "sent to the bank"
        )
        run = self.payroll.run_ids[:1]
        self.assertEqual(run.funding_confirmation_ids.fsp_id, self.bank)
        self.assertEqual(run.funding_confirmation_ids.balance_state, "unknown")
        files = self.payroll.payment_file_ids
        self.assertEqual(len(files), 1)
        self.assertEqual(files.currency_id, self.kes)
        return files.with_user(finance)._spp_verified_content()

    def _file_shows_shillings(self, content):
        text = content.decode()
        amounts = re.findall(r'<InstdAmt Ccy="([A-Z]{3})">([0-9.]+)</InstdAmt>', text)
        self.assertEqual(amounts, [("KES", "6242.10")] * MEMBERS)
        self.assertNotIn('Ccy="USD"', text)
        self.assertIn(f"<CtrlSum>{Decimal('6242.10') * MEMBERS}</CtrlSum>", text)
        # The execution's entry moved the dollars to the bank's clearing account.
        move = self.env["account.move"].search(
            [("spp_payroll_id", "=", self.payroll.id)]
        )
        self.assertEqual((len(move), move.spp_event), (1, "execution"))
        self.assertEqual(move.currency_id, self.usd)

    # 3. The bank's statement -------------------------------------------------

    def _statement_sets_balance_and_confirms(self):
        finance, manager = self._user("finance"), self._user("manager")
        self.assertEqual(self.bank.balance_state, "unknown")
        wizard = (
            self.env["spp.demo.books.statement"]
            .with_user(finance)
            .create({"payroll_id": self.payroll.id, "fsp_id": self.bank.id})
        )
        wizard.action_generate()
        raw = base64.b64decode(wizard.data)
        payments = self.payroll.payment_ids.sorted("id")
        for payment in payments:
            self.assertIn(f"<EndToEndId>{payment.reference}</EndToEndId>", raw.decode())
        importer = (
            self.env["spp.reconciliation.import"]
            .with_user(finance)
            .create(
                {
                    "fsp_id": self.bank.id,
                    "data": base64.b64encode(raw),
                    "file_name": wizard.file_name,
                }
            )
        )
        importer.action_check()
        self.assertEqual(importer.kind, "camt053")
        self.assertEqual(importer.error_count, 0, importer.result_html)
        action = importer.action_import()
        # The closing balance: the opening less 9 paid (the returned one's
        # debit was the day before, in the opening, and came back).
        closing = _cents(BANK_OPENING) - 8 * Decimal("6242.10")
        self.bank.invalidate_recordset()
        self.assertEqual(
            (self.bank.balance_state, _cents(self.bank.balance_amount)),
            ("known", closing),
        )
        self.assertTrue(self.bank.balance_source.startswith("camt.053 DEMO-"))
        batch = self.env["spp.reconciliation"].browse(action["res_id"])
        self.assertEqual(batch.statement_id.fsp_id, self.bank)
        self.assertEqual(batch.line_count, MEMBERS)
        with self.assertRaises(UserError):  # who imported it never accepts it
            batch.with_user(finance).action_approve()
        batch.with_user(manager).action_approve()
        payments.invalidate_recordset()
        self.assertEqual(
            payments.mapped("state"), ["paid"] * (MEMBERS - 1) + ["failed"]
        )
        self.assertEqual(_cents(payments[0].fsp_paid_amount), Decimal("6242.10"))
        self.assertEqual(_cents(payments[0].paid_amount), _cents(AMOUNT))

    # 5. The books --------------------------------------------------------------

    def _report_ties_to_the_summary(self):
        finance = self._user("finance")
        report = (
            self.env["spp.account.report"]
            .with_user(finance)
            .create({"program_id": self.program.id})
        )
        report.action_compute()
        lines = {line.name: line for line in report.line_ids}
        self.assertTrue(report.ties, [(n, ln.difference) for n, ln in lines.items()])
        for line in report.line_ids.filtered("has_ledger"):
            self.assertEqual(line.difference, 0.0, line.name)
            self.assertEqual(
                _cents(line.suite_amount), _cents(line.ledger_amount), line.name
            )
        summary = self.payroll.with_user(finance).summary
        (by_outcome,) = summary["by_outcome"].values()
        self.assertEqual(
            _cents(lines["Issued (approved for payment)"].suite_amount),
            _cents(summary["totals"]["amount"]),
        )
        self.assertEqual(
            _cents(lines["Paid"].ledger_amount), _cents(by_outcome["paid"][1])
        )
        self.assertEqual(
            _cents(
                lines[
                    "Failed, rejected, reversed and unpaid parts (returned)"
                ].ledger_amount
            ),
            _cents(by_outcome["failed"][1]),
        )
        self.assertEqual(_cents(by_outcome["paid"][1]), _cents((MEMBERS - 1) * AMOUNT))
        self.assertEqual(_cents(lines["Outstanding at FSPs"].ledger_amount), 0)
        moves = self.env["account.move"].search(
            [("spp_payroll_id", "=", self.payroll.id)], order="id"
        )
        self.assertEqual(moves.mapped("spp_event"), ["execution", "reconciliation"])
