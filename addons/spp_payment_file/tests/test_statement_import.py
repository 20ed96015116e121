# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""camt.053 statements and camt.052 reports of the file FSP's account, and the
refusal of ISO 20022 documents by namespace, against bank samples we did not
write (tests/data, see its README) and our own."""

import base64
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import fund_fsps, perform_jobs

from .common import SppFileCommon

DATA = Path(__file__).parent / "data"
NS = "urn:iso:std:iso:20022:tech:xsd:"
ACCOUNT = "KE12ABCD00000000001234567"


def _camt053(entries, *, msg_id="STMT-1", closing="900.00", day="2026-11-20"):
    """Our own camt.053.001.08 of ACCOUNT: entries are (ref, amount, side,
    status, return code)."""
    body = "".join(
        entry
        if isinstance(entry, str)
        else f'<Ntry><NtryRef>N{n}</NtryRef><Amt Ccy="{{ccy}}">{entry[1]}</Amt>'
        f"<CdtDbtInd>{entry[2]}</CdtDbtInd><Sts><Cd>{entry[3]}</Cd></Sts>"
        f"<BookgDt><Dt>{day}</Dt></BookgDt><NtryDtls><TxDtls>"
        + (f"<Refs><EndToEndId>{entry[0]}</EndToEndId></Refs>" if entry[0] else "")
        + (f"<RtrInf><Rsn><Cd>{entry[4]}</Cd></Rsn></RtrInf>" if entry[4] else "")
        + "</TxDtls></NtryDtls></Ntry>"
        for n, entry in enumerate(entries, start=1)
    )
    return (
        f'<Document xmlns="{NS}camt.053.001.08"><BkToCstmrStmt><GrpHdr>'
        f"<MsgId>{msg_id}</MsgId><CreDtTm>{day}T20:00:00Z</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{msg_id}-A</Id><Acct><Id><IBAN>{ACCOUNT}</IBAN></Id></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">'
        "1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-19</Dt></Dt></Bal>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">'
        f"{closing.lstrip('-')}</Amt><CdtDbtInd>"
        f"{'DBIT' if closing.startswith('-') else 'CRDT'}</CdtDbtInd>"
        f"<Dt><Dt>{day}</Dt></Dt></Bal>{body}</Stmt></BkToCstmrStmt></Document>"
    )


class SppStatementCommon(SppFileCommon):
    """An executed payroll of the file FSP, whose account's statements are
    imported."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fsp.iso_debtor_account = ACCOUNT
        cls.payroll, _jobs = cls._executed_payroll(cls)
        # Executed with a funded account (the fixture's report); the statements
        # of these tests are the FSP's first own report of its balance.
        cls.fsp._spp_forget_balance("no statement imported yet")
        cls.pay = [
            cls.payroll.payment_ids.filtered(lambda p, h=h: p.partner_id == h)
            for h in cls.households
        ]

    def _own(self, entries, **kwargs):
        return _camt053(entries, **kwargs).replace("{ccy}", self.fsp.currency_id.name)

    def _statement_wizard(self, content, name="statement.xml", payroll=None):
        data = content if isinstance(content, bytes) else content.encode()
        return (
            self.env["spp.reconciliation.import"]
            .with_user(self.finance)
            .create(
                {
                    "payroll_id": payroll.id if payroll else False,
                    "fsp_id": self.fsp.id,
                    "data": base64.b64encode(data),
                    "file_name": name,
                }
            )
        )

    def _import_statement(self, content, name="statement.xml", payroll=None):
        wizard = self._statement_wizard(content, name, payroll)
        wizard.action_check()
        self.assertEqual(wizard.error_count, 0, wizard.result_html)
        action = wizard.action_import()
        return wizard, action

    def _statements(self):
        return self.env["spp.fsp.statement"].search([("fsp_id", "=", self.fsp.id)])

    def _adopt(self, payment, reference, amount):
        """Give a payment the EndToEndId and amount a bank sample names (past
        the approved payroll's lock, in the test's transaction only)."""
        lock = SQL("spp_payment_payroll_lock_update")
        self.env.cr.execute(SQL("ALTER TABLE spp_payment DISABLE TRIGGER %s", lock))
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payment SET reference = %s, amount = %s WHERE id = %s",
                reference,
                amount,
                payment.id,
            )
        )
        self.env.cr.execute(SQL("ALTER TABLE spp_payment ENABLE TRIGGER %s", lock))
        payment.invalidate_recordset(["reference", "amount"])

    def _use_currency(self, code):
        currency = self.env.ref(f"base.{code}")
        currency.active = True
        self.fsp.currency_id = currency


class TestStatementImport(SppStatementCommon):
    # Bank samples ---------------------------------------------------------

    def test_oca_camt053_sets_balance_and_confirms_booked_payment(self):
        a = self.pay[0]
        self.fsp.iso_debtor_account = "NL77 ABNA 0574 9087 65"
        self._use_currency("EUR")
        self._adopt(a, "435005714488-ABNO33052620", Decimal("754.25"))
        raw = (DATA / "oca-camt.053.001.02.xml").read_bytes()
        wizard = self._statement_wizard(raw, "test-camt053")
        wizard.action_check()
        self.assertEqual(wizard.kind, "camt053")
        self.assertEqual(wizard.error_count, 0, wizard.result_html)
        self.assertIn("15121.12 EUR (CLBD, 2014-01-05)", wizard.result_html)
        # Two returned direct debits and an incoming credit: reported.
        self.assertIn("3 booked entries match no payment", wizard.result_html)
        self.assertIn("TESTBANK/NL/20141229/01206408", wizard.result_html)
        # Checking writes nothing.
        self.assertFalse(self._statements())
        self.assertEqual(self.fsp.balance_state, "unknown")

        action = wizard.action_import()
        batch = self.env["spp.reconciliation"].browse(action["res_id"])
        statement = self._statements()
        self.assertEqual(
            (statement.name, statement.msg_id, statement.message_version),
            ("1234Test/1", "TESTBANK/NL/1420561226673", "camt.053.001.02"),
        )
        self.assertEqual(statement.account, "NL77ABNA0574908765")
        self.assertEqual(
            (statement.opening_balance, statement.closing_balance),
            (15568.27, 15121.12),
        )
        self.assertEqual(
            (statement.entry_count, statement.matched_count, statement.unmatched_count),
            (3, 1, 3),
        )
        self.assertEqual(
            (statement.booked_debit_count, statement.booked_credit_count), (3, 1)
        )
        self.assertTrue(statement.balance_applied)
        self.assertIn(statement, self.fsp.statement_ids)
        self.assertEqual(
            (self.fsp.balance_state, self.fsp.balance_amount), ("known", 15121.12)
        )
        self.assertEqual(self.fsp.balance_date, datetime(2014, 1, 5, 23, 59, 59))
        self.assertEqual(self.fsp.balance_source, "camt.053 TESTBANK/NL/1420561226673")
        # The booked debit confirms the payment, once a manager accepts it.
        self.assertEqual(batch.statement_id, statement)
        self.assertEqual(batch.payroll_id, self.payroll)
        self.assertEqual(batch.line_count, 1)
        self.assertEqual(a.state, "sent")
        batch.with_user(self.manager).action_approve()
        self.assertEqual(a.state, "paid")
        self.assertEqual(a.paid_amount, 754.25)

    def test_genkgo_camt052_interim_balance_and_pending_entry(self):
        self.fsp.iso_debtor_account = "CH2801234000123456789"
        self._use_currency("CHF")
        b = self.pay[1]
        self._adopt(b, "UXC06140000015PI00001EE00001", Decimal("4.10"))
        _wizard, action = self._import_statement(
            (DATA / "genkgo-camt052.v4.xml").read_bytes(), "camt052.v4.xml"
        )
        report = self._statements()
        self.assertEqual(action["res_model"], "spp.fsp.statement")
        self.assertEqual((report.kind, report.balance_code), ("camt052", "ITBD"))
        self.assertEqual(report.closing_balance, 10022.15)
        self.assertEqual(report.pending_count, 1)
        # A pending entry confirms nothing: no batch.
        self.assertFalse(report.reconciliation_ids)
        self.assertEqual(b.state, "sent")
        self.assertEqual(self.fsp.balance_amount, 10022.15)
        self.assertEqual(self.fsp.balance_source, "camt.052 AAAASESS-FP-ACCR001 (ITBD)")
        # The sample's balance day is later than its creation: as of creation.
        self.assertEqual(self.fsp.balance_date, datetime(2007, 10, 18, 11, 30))

    def test_genkgo_camt052_without_balance_records_none(self):
        self.fsp.iso_debtor_account = "CH2801234000123456789"
        self._import_statement((DATA / "genkgo-camt052.v8.xml").read_bytes())
        report = self._statements()
        self.assertFalse(report.balance_code)
        self.assertFalse(report.balance_applied)
        # Its booked debit names no EndToEndId: reported, not guessed.
        self.assertEqual((report.matched_count, report.unmatched_count), (0, 1))
        self.assertEqual(self.fsp.balance_state, "unknown")

    def test_fsp_and_batch_forms_show_statements(self):
        fsp_form = self.env["spp.fsp"].get_views([(False, "form")])["views"]["form"]
        self.assertIn('name="statement_ids"', fsp_form["arch"])
        batch_form = self.env["spp.reconciliation"].get_views([(False, "form")])
        self.assertIn('name="statement_id"', batch_form["views"]["form"]["arch"])

    def test_foreign_namespace_is_refused_and_nothing_written(self):
        a = self.pay[0]
        pain002 = (DATA / "pain.002-unpaid-sample.xml").read_bytes()
        camt054 = (DATA / "camt.054-unpaid-sample.xml").read_bytes()
        cases = [
            # A camt.054 body under pain.002's namespace, and the reverse.
            (
                camt054.replace(b"camt.054.001.02", b"pain.002.001.03"),
                "holds BkToCstmrDbtCdtNtfctn, not CstmrPmtStsRpt",
            ),
            (
                pain002.replace(b"pain.002.001.03", b"camt.054.001.02"),
                "holds CstmrPmtStsRpt, not BkToCstmrDbtCdtNtfctn",
            ),
            # Another message altogether, a version not read, no namespace.
            (
                pain002.replace(b"pain.002.001.03", b"pain.001.001.03"),
                "namespace urn:iso:std:iso:20022:tech:xsd:pain.001.001.03 is a "
                "pain.001 message",
            ),
            (
                camt054.replace(b"camt.054.001.02", b"camt.054.001.01"),
                "unsupported camt.054 version",
            ),
            (
                camt054.replace(
                    b'xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"', b""
                ),
                "has no XML namespace",
            ),
        ]
        for index, (content, error) in enumerate(cases):
            with self.subTest(error=error):
                wizard = self._wizard(self.payroll, content, "bank.xml")
                wizard.action_check()
                self.assertEqual(wizard.error_count, 1)
                self.assertIn(error, wizard.result_html)
                if index >= 2:  # the namespaces that would do are named
                    self.assertIn("supported: " + NS, wizard.result_html)
                with self.assertRaises(UserError):
                    wizard.action_import()
        self.assertFalse(
            self.env["spp.reconciliation"].search([("fsp_id", "=", self.fsp.id)])
        )
        self.assertEqual(a.state, "sent")

    # Our own statements ---------------------------------------------------

    def test_booked_debits_returned_credits_and_unmatched_entries(self):
        a, b, c, d, _e = self.pay
        _wizard, action = self._import_statement(
            self._own(
                [
                    (a.reference, a.amount, "DBIT", "BOOK", None),
                    # Returned before we knew it was paid: failed.
                    (b.reference, b.amount, "CRDT", "BOOK", "AC04"),
                    # Not booked yet: nothing happens.
                    (c.reference, c.amount, "DBIT", "PDNG", None),
                    ("NOT-OURS-1", "5.00", "DBIT", "BOOK", None),
                    (None, "2.50", "DBIT", "BOOK", None),  # bank fee
                    (None, "5000.00", "CRDT", "BOOK", None),  # funding
                    # Our batch-booked file as one total, without its transactions.
                    '<Ntry><Amt Ccy="{ccy}">110.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
                    "<Sts><Cd>BOOK</Cd></Sts><NtryDtls><Btch><PmtInfId>SPP-FILE-1"
                    "</PmtInfId><NbOfTxs>2</NbOfTxs></Btch></NtryDtls></Ntry>",
                ]
            ),
            payroll=self.payroll,
        )
        statement = self._statements()
        self.assertEqual(statement.matched_count, 2)
        self.assertEqual(statement.unmatched_count, 4)
        self.assertEqual(statement.pending_count, 1)
        self.assertIn(
            "a batch booking of PmtInfId SPP-FILE-1", statement.unmatched_html
        )
        self.assertIn("NOT-OURS-1", statement.unmatched_html)
        self.assertIn("names no payment of this FSP", statement.unmatched_html)
        self.assertIn("returns no payment", statement.unmatched_html)
        batch = self.env["spp.reconciliation"].browse(action["res_id"])
        self.assertEqual(batch.statement_id, statement)
        batch.with_user(self.manager).action_approve()
        self.assertEqual(
            (a.state, b.state, c.state, d.state), ("paid", "failed", "sent", "sent")
        )
        self.assertEqual(self.fsp.balance_amount, 900)
        # Once is enough: the same statement again is refused, naming the first.
        again = self._statement_wizard(self._own([]), "again.xml")
        again.action_check()
        self.assertIn("was already imported", again.result_html)
        with self.assertRaises(UserError):
            again.action_import()
        self.assertEqual(len(self._statements()), 1)

    def test_rejected_statement_batch_frees_its_entries(self):
        a = self.pay[0]
        content = self._own([(a.reference, a.amount, "DBIT", "BOOK", None)])
        _wizard, action = self._import_statement(content)
        first = self.env["spp.reconciliation"].browse(action["res_id"])
        first.with_user(self.manager).action_reject(reason="wrong day")
        self.assertEqual(a.state, "sent")
        _wizard, action = self._import_statement(content, "again.xml")
        second = self.env["spp.reconciliation"].browse(action["res_id"])
        statement = self._statements()
        self.assertEqual(len(statement), 1)
        self.assertEqual(statement.reconciliation_ids, first | second)
        second.with_user(self.manager).action_approve()
        self.assertEqual(a.state, "paid")
        # Applied: now it is refused.
        wizard = self._statement_wizard(content, "third.xml")
        wizard.action_check()
        self.assertIn("was already imported", wizard.result_html)

    def test_older_statement_does_not_replace_the_balance(self):
        self._import_statement(self._own([], msg_id="S-2", day="2026-11-21"))
        self._import_statement(
            self._own([], msg_id="S-1", day="2026-11-20", closing="-12.34")
        )
        older = self._statements().filtered(lambda s: s.msg_id == "S-1")
        self.assertEqual(older.closing_balance, -12.34)
        self.assertFalse(older.balance_applied)
        self.assertEqual(self.fsp.balance_amount, 900)
        self.assertEqual(self.fsp.balance_source, "camt.053 S-2")

    def test_statement_of_another_account_or_currency_is_refused(self):
        other = self._own([]).replace(ACCOUNT, "DE89370400440532013000")
        wizard = self._statement_wizard(other)
        wizard.action_check()
        self.assertIn(
            "is of account DE89370400440532013000, not of File Bank", wizard.result_html
        )
        self.assertIn(f"account {ACCOUNT}", wizard.result_html)
        with self.assertRaises(UserError):
            wizard.action_import()
        foreign = _camt053([]).replace("{ccy}", "JPY")
        wizard = self._statement_wizard(foreign)
        wizard.action_check()
        self.assertIn("is in JPY, File Bank", wizard.result_html)
        self.assertIn(f"account in {self.fsp.currency_id.name}", wizard.result_html)
        self.fsp.iso_debtor_account = False
        wizard = self._statement_wizard(self._own([]))
        wizard.action_check()
        self.assertIn("has no debtor account", wizard.result_html)
        self.assertFalse(self._statements())
        self.assertEqual(self.fsp.balance_state, "unknown")

    def test_statement_over_two_payrolls_makes_a_batch_each(self):
        a = self.pay[0]
        december = self._create_cycle(
            name="December", date_start="2026-12-01", date_end="2026-12-31"
        )
        second = self._approved_payroll(cycle=self._approve(december))
        fund_fsps(self.fsp)  # executed from a funded account, as the first
        with trap_jobs() as trap:
            second.with_user(self.finance).action_execute()
            perform_jobs(trap)
        self.fsp._spp_forget_balance("no statement imported yet")
        other = second.payment_ids[:1]
        _wizard, action = self._import_statement(
            self._own(
                [
                    (a.reference, a.amount, "DBIT", "BOOK", None),
                    (other.reference, other.amount, "DBIT", "BOOK", None),
                ]
            )
        )
        statement = self._statements()
        self.assertEqual(action["res_model"], "spp.fsp.statement")
        self.assertEqual(statement.reconciliation_ids.payroll_id, self.payroll | second)
        # With a payroll chosen, the other payroll's entry is only reported.
        wizard = self._statement_wizard(
            self._own(
                [(other.reference, other.amount, "DBIT", "BOOK", None)], msg_id="S9"
            ),
            payroll=self.payroll,
        )
        wizard.action_check()
        self.assertIn("a payment of another payroll", wizard.result_html)

    def test_reply_without_payroll_is_refused(self):
        wizard = self._statement_wizard(b"Ref;Status\nX;SUCCESS\n", "reply.csv")
        with self.assertRaisesRegex(UserError, "Choose the payroll"):
            wizard.action_check()
