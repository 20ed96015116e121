# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import contextlib
import io
import zipfile
from decimal import Decimal
from unittest.mock import patch

from markupsafe import escape
from spp_payment_core import reconcile

from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.queue_job.tests.common import trap_jobs

from ..wizards import spp_reconciliation_import as reconciliation_import
from .common import SppFileCommon

HEADER = "reference,status,amount,date,receipt,agent\n"


class TestReconciliationImport(SppFileCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payroll, _jobs = cls._executed_payroll(cls)
        cls.refs = [
            cls.payroll.payment_ids.filtered(lambda p, h=h: p.partner_id == h).reference
            for h in cls.households
        ]

    def _clean_reply(self):
        a, b, c, d, e = self.refs
        return (
            HEADER
            + f"{a},SUCCESS,50.70,2026-11-10,R-1,north\n"
            + f"{b},success,60.70,2026-11-10,R-2,north\n"
            + f"{c},SUCCESS,40.00,2026-11-11,R-3,south\n"  # partial
            + f"{d},FAILED,,,,south\n"
        )

    def _batch_count(self):
        return self.env["spp.reconciliation"].search_count([])

    def test_bad_rows_are_all_explained_and_nothing_is_written(self):
        self._check_bad_rows_are_all_explained()

    def test_bad_rows_are_explained_when_the_payroll_is_read_whole(self):
        # A large reply reads its payroll whole and looks up only the
        # references it lacks: the same rows must get the same reasons.
        with patch.object(reconciliation_import, "BULK_LOOKUP", 1):
            self._check_bad_rows_are_all_explained()

    def _payment_of_another_payroll(self):
        return self._approved_payroll(
            cycle=self._approve(
                self._create_cycle(
                    name="December", date_start="2026-12-01", date_end="2026-12-31"
                )
            )
        ).payment_ids[:1]

    def _check_bad_rows_are_all_explained(self):
        a, b, c, d, e = self.refs
        other = self._payment_of_another_payroll()
        reply = (
            HEADER
            + f"{a},SUCCESS,50.70,2026-11-10,R-1,\n"
            + f"{a},SUCCESS,50.70,2026-11-10,R-1,\n"
            + "PAY-NOPE,SUCCESS,1,2026-11-10,,\n"
            + f"{other.reference},SUCCESS,1,2026-11-10,,\n"
            + f"{b},DONE,60.70,2026-11-10,,\n"
            + f"{c},SUCCESS,50.70,10/11/2026,,\n"
            + f"{c},SUCCESS,50.70,2999-01-01,,\n"
            + f"{d},SUCCESS,-5,2026-11-10,,\n"
            + f"{e},SUCCESS,9999999,2026-11-10,,\n"
            + f"{e},SUCCESS,1,2026-11-10,@SUM(A1),\n"
        )
        wizard = self._wizard(self.payroll, reply)
        before = self._batch_count()
        wizard.action_check()
        self.assertEqual(wizard.error_count, 9)
        for expected in (
            "row 3, column 'reference': duplicate row",
            "row 4, column 'reference': unknown 'PAY-NOPE'",
            "row 5, column 'reference': payment of another payroll",
            "row 6, column 'status': status &#39;DONE&#39; is not in the mapping",
            "row 7, column 'date'",
            "row 8, column 'date': date 2999-01-01 is in the future",
            "row 9, column 'amount'",
            "row 10, column 'amount': paid 9999999.00 is more than issued",
            "row 11, column 'receipt': formula",
        ):
            self.assertIn(expected.replace("'", "&#39;"), wizard.result_html)
        with self.assertRaisesRegex(UserError, "9 rows of reply.csv are wrong"):
            wizard.action_import()
        self.assertEqual(self._batch_count(), before)
        self.assertEqual(set(self.payroll.payment_ids.mapped("state")), {"sent"})

    def _stored_line_ids(self):
        """The last id given to a reconciliation line (a taken-back insert
        keeps its ids used)."""
        self.env.cr.execute(
            "SELECT last_value - (NOT is_called)::int "
            "FROM spp_reconciliation_line_id_seq"
        )
        return self.env.cr.fetchone()[0]

    def test_a_reply_stored_chunk_by_chunk_is_stored_whole(self):
        # A row a chunk: each is stored while the next is checked (or, for a
        # clean reply stored in bulk, copied while the next is built).
        for bulk in (True, False):
            with self.subTest(bulk=bulk), self._rolled_back():
                with (
                    patch.object(reconcile, "CHUNK_ROWS", 1),
                    self._row_by_row(not bulk),
                ):
                    batch = self._import(self.payroll, self._clean_reply())
                self._check_stored_whole(batch)

    @contextlib.contextmanager
    def _rolled_back(self):
        savepoint = self.env.cr.savepoint()
        try:
            yield
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()

    def _row_by_row(self, forced=True):
        """Clean replies checked and stored row by row, as every other is."""
        if not forced:
            return contextlib.nullcontext()
        wizard = type(self.env["spp.reconciliation.import"])
        stack = contextlib.ExitStack()
        for path in ("_spp_copied_reply", "_spp_bulk_reply"):
            stack.enter_context(patch.object(wizard, path, return_value=None))
        return stack

    def _check_stored_whole(self, batch):
        self.assertEqual(
            sorted(batch.line_ids.mapped("row_no")), [2, 3, 4, 5], "each row once"
        )
        self.assertEqual(
            sorted(batch.line_ids.mapped("outcome")),
            ["failed", "paid", "paid", "partial"],
        )
        self.assertEqual(batch.summary["lines"], 4)
        self.assertEqual(batch.summary["file"]["rows"], 4)
        self.assertEqual(batch.summary["file"]["paid_total"], "151.40")

    def test_a_bad_row_after_stored_chunks_takes_back_the_whole_batch(self):
        a, b, c, d, e = self.refs
        reply = (
            HEADER
            + f"{a},SUCCESS,50.70,2026-11-10,R-1,\n"
            + f"{b},SUCCESS,60.70,2026-11-10,R-2,\n"
            + f"{c},SUCCESS,40.00,2026-11-11,R-3,\n"
            + f"{d},DONE,,,,\n"  # bad, after three chunks were stored
            + f"{e},SUCCESS,1,2999-01-01,,\n"  # bad too, and said
        )
        wizard = self._wizard(self.payroll, reply)
        before, first_id = self._batch_count(), self._stored_line_ids()
        with (
            patch.object(reconcile, "CHUNK_ROWS", 1),
            self.assertRaisesRegex(UserError, "2 rows of reply.csv are wrong"),
        ):
            wizard.action_import()
        # The three good rows were stored before the bad one was read ...
        self.assertEqual(self._stored_line_ids(), first_id + 3)
        # ... and taken back with their batch.
        self.assertEqual(self._batch_count(), before)
        self.env.cr.execute(
            "SELECT COUNT(*) FROM spp_reconciliation_line WHERE id > %s", [first_id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(set(self.payroll.payment_ids.mapped("state")), {"sent"})
        # The same file, corrected, comes in: nothing of the first try remains.
        corrected = reply.replace("DONE", "FAILED").replace("2999-01-01", "2026-11-12")
        batch = self._import(self.payroll, corrected)
        self.assertEqual(batch.line_count, 5)

    def _set_state(self, payment, state):
        self.env.cr.execute(
            "UPDATE spp_payment SET state = %s WHERE id = %s", [state, payment.id]
        )
        payment.invalidate_recordset(["state"])

    def _line_values(self, batch):
        return sorted(
            (
                line.row_no,
                line.payment_id.id,
                line.fsp_id.id,
                line.outcome,
                line.paid_amount and Decimal(str(line.paid_amount)),
                line.paid_date,
                line.receipt,
                line.reason,
                line.extra,
                line.note,
            )
            for line in batch.line_ids
        )

    def _import_in_bulk(self, content):
        """Import ``content`` with no row-by-row check at all."""
        wizard = self._wizard(self.payroll, content)
        with patch.object(
            type(wizard), "_spp_check_table", side_effect=AssertionError("row by row")
        ):
            action = wizard.action_import()
        return self.env["spp.reconciliation"].browse(action["res_id"])

    def _reply_of_every_kind(self):
        """A clean reply giving a line of every outcome."""
        a, b, c, d, e = self.refs
        self.fsp.recon_reason_column = "reason"
        h1, h2, h3, h4, h5 = self.households
        self._set_state(self._payment_of(self.payroll, h2), "paid")
        self._set_state(self._payment_of(self.payroll, h5), "failed")
        return (
            "reference,status,amount,date,receipt,agent,reason\n"
            + f"{a},SUCCESS,50.70,2026-11-10,R\\1,north,\n"  # paid
            + f'{b},SUCCESS,60.70,2026-11-10,"R\t2",north,\n'  # already paid
            + f"{c},success,40,2026-11-11,R-3,s\u00f6uth,\n"  # partial
            + f"{d},FAILED,,,,,account closed\n"  # failed
            + f"{e},SUCCESS,,2026-11-09,R-5,,late\n"  # suspected double
        )

    def _check_in_bulk(self, content):
        """Check ``content`` with no row-by-row check at all."""
        wizard = self._wizard(self.payroll, content)
        with patch.object(
            type(wizard), "_spp_check_table", side_effect=AssertionError("row by row")
        ):
            wizard.action_check()
        return wizard

    def test_a_clean_reply_is_checked_in_bulk_as_the_row_by_row_check_checks_it(self):
        reply = self._reply_of_every_kind()
        by_row = self._wizard(self.payroll, reply)
        with self._row_by_row():
            by_row.action_check()
        before, first_id = self._batch_count(), self._stored_line_ids()
        wizard = self._check_in_bulk(reply)
        self.assertEqual(wizard.error_count, 0)
        self.assertEqual(wizard.result_html, by_row.result_html)
        for figure in (
            "<td>paid</td><td class='text-end'>1</td>",
            "<td>partial</td><td class='text-end'>1</td>",
            "<td>already final</td><td class='text-end'>1</td>",
            "<td>suspected double</td><td class='text-end'>1</td>",
            "<td>paid total</td><td class='text-end'>90.70</td>",
        ):
            self.assertIn(figure, wizard.result_html)
        # Counted, not inserted and taken back: no line id was used.
        self.assertEqual(
            (self._batch_count(), self._stored_line_ids()), (before, first_id)
        )
        self.env.cr.execute("SELECT to_regclass('pg_temp.spp_reply_row')")
        self.assertIsNone(self.env.cr.fetchone()[0], "the staged rows are dropped")
        # What the Check said is what the import stores.
        batch = self._import_in_bulk(reply)
        self.assertEqual(batch.summary["file"]["suspected_double"], 1)
        self.assertEqual(batch.summary["file"]["paid_total"], "90.70")

    def test_a_clean_reply_is_stored_in_bulk_as_the_row_by_row_check_stores_it(self):
        reply = self._reply_of_every_kind()
        with self._rolled_back():
            with self._row_by_row():
                checked = self._import(self.payroll, reply)
            expected = self._line_values(checked), checked.summary
        bulk = self._import_in_bulk(reply)
        self.assertEqual((self._line_values(bulk), bulk.summary), expected)
        self.assertEqual(
            [line[3] for line in expected[0]],
            ["paid", "skipped", "partial", "failed", "double"],
        )
        receipts = {line[3]: line[6] for line in expected[0]}
        self.assertEqual(receipts["paid"], "R\\1")
        self.assertEqual(receipts["skipped"], "R\t2")
        self.assertEqual(expected[1]["file"]["paid_total"], "90.70")
        self.env.cr.execute("SELECT to_regclass('pg_temp.spp_reply_row')")
        self.assertIsNone(self.env.cr.fetchone()[0], "the staged rows are dropped")

    def _plain_reply_of_every_kind(self):
        """_reply_of_every_kind as COPY reads it: ASCII, no quote, CRLF line
        ends, cells padded with the white space read_table strips."""
        a, b, c, d, e = self.refs
        self._reply_of_every_kind()  # the payments' states, the reason column
        rows = (
            "reference,status,amount,date,receipt,agent,reason",
            f" {a},SUCCESS , 50.70,2026-11-10\t,R\\1,north,",  # paid
            f"{b}\x0b,SUCCESS,60.70,2026-11-10,R 2, north ,",  # already paid
            f"{c},success,40,2026-11-11,R-3,\x1csouth,",  # partial
            f"{d},FAILED,,,,,account closed ",  # failed
            f"{e},SUCCESS,,2026-11-09,R-5,,late",  # suspected double
        )
        return ("\r\n".join(rows) + "\r\n").encode()

    def _copied_only(self):
        """Replies read by COPY alone: neither read_table nor the row-by-row
        check runs."""
        wizard = type(self.env["spp.reconciliation.import"])
        stack = contextlib.ExitStack()
        for path in ("_spp_read_reply", "_spp_check_table", "_spp_bulk_reply"):
            stack.enter_context(
                patch.object(wizard, path, side_effect=AssertionError(path))
            )
        return stack

    def _temporary_tables(self):
        self.env.cr.execute(
            "SELECT to_regclass('pg_temp.spp_reply_row'), "
            "to_regclass('pg_temp.spp_reply_raw')"
        )
        return self.env.cr.fetchone()

    def test_a_plain_reply_is_read_by_copy_as_the_row_by_row_check_reads_it(self):
        reply = self._plain_reply_of_every_kind()
        with self._rolled_back():
            with self._row_by_row():
                by_row = self._wizard(self.payroll, reply)
                by_row.action_check()
                said = by_row.result_html
                checked = self._import(self.payroll, reply)
            expected = self._line_values(checked), checked.summary
        copied = self._wizard(self.payroll, reply)
        with self._copied_only():
            copied.action_check()
            self.assertEqual(copied.error_count, 0)
            self.assertEqual(copied.result_html, said)
            self.assertEqual(self._temporary_tables(), (None, None))
            batch = self._import(self.payroll, reply)
        self.assertEqual((self._line_values(batch), batch.summary), expected)
        outcomes = [line[3] for line in expected[0]]
        self.assertEqual(outcomes, ["paid", "skipped", "partial", "failed", "double"])
        values = {line[3]: line for line in expected[0]}
        # Stripped as read_table's callers strip cells, inner spaces kept.
        self.assertEqual(values["paid"][5].isoformat(), "2026-11-10")
        self.assertEqual(values["paid"][6], "R\\1")
        self.assertEqual(values["skipped"][6], "R 2")
        self.assertEqual(values["skipped"][8], {"agent": "north"})
        self.assertEqual(values["partial"][8], {"agent": "south"})
        self.assertEqual(values["failed"][7], "account closed")
        self.assertEqual(batch.summary["file"]["paid_total"], "90.70")
        self.assertEqual(self._temporary_tables(), (None, None))

    def test_a_reply_copy_would_read_otherwise_is_read_by_python(self):
        a, b, c, d, _e = self.refs
        good = HEADER + f"{a},SUCCESS,50.70,2026-11-10,R-1,north\n"
        wizard = type(self.env["spp.reconciliation.import"])
        for name, reply, lines in (
            # Quotes: Python's csv reader and COPY differ on stray ones.
            ("quoted", good + f'{b},SUCCESS,60.70,2026-11-10,"R,2",north\n', 2),
            ("not ASCII", good + f"{b},SUCCESS,60.70,2026-11-10,R-2,s\u00f6uth\n", 2),
            ("a blank line", good + f"\n{b},SUCCESS,60.70,2026-11-10,R-2,n\n", 2),
            # A CRLF in a file of LF line ends (COPY takes one kind only).
            ("mixed line ends", good + f"{b},SUCCESS,60.70,2026-11-10,R-2,n\r\n", 2),
            # COPY's end of data: the rows after it must not be dropped.
            ("end marker", good + f"{b},SUCCESS,60.70,2026-11-10,\\.,n\n", 2),
        ):
            with self.subTest(name), self._rolled_back():
                with patch.object(
                    wizard,
                    "_spp_copy_raw_rows",
                    side_effect=AssertionError("copied"),
                ):
                    batch = self._import(self.payroll, reply)
                self.assertEqual(batch.line_count, lines)
                self.assertEqual(self._temporary_tables(), (None, None))
        # COPY refuses a row longer than the header: read_table reads it.
        with self._rolled_back():
            reply = good + f"{b},SUCCESS,60.70,2026-11-10,R-2,n,x\n"
            self.assertEqual(self._import(self.payroll, reply).line_count, 2)
            self.assertEqual(self._temporary_tables(), (None, None))
        # A line of COPY's end marker alone is a short row, explained.
        with self._rolled_back():
            wizard = self._wizard(
                self.payroll, good + "\\.\n" + f"{c},FAILED,,,,south\n"
            )
            wizard.action_check()
            self.assertGreaterEqual(wizard.error_count, 1)
            self.assertIn("row 3", wizard.result_html)
        # What COPY reads but needs the row-by-row check is explained by it.
        for name, bad, column in (
            ("repeated reference", f"{a},FAILED,,,,south\n", "reference"),
            ("empty reference", ",FAILED,,,,south\n", "reference"),
            ("unmapped status", f"{d},DONE,,,,south\n", "status"),
            ("bad date", f"{d},FAILED,,31/12/2026,,south\n", "date"),
            ("unknown reference", "PAY-NOPE,FAILED,,,,south\n", "reference"),
        ):
            with self.subTest(name), self._rolled_back():
                wizard = self._wizard(self.payroll, good + bad)
                wizard.action_check()
                self.assertEqual(wizard.error_count, 1, name)
                self.assertIn(f"row 3, column &#39;{column}&#39;", wizard.result_html)
                with self.assertRaisesRegex(UserError, "1 rows of reply.csv"):
                    wizard.action_import()
                self.assertEqual(self._temporary_tables(), (None, None))

    def test_a_clean_reply_naming_what_it_cannot_settle_is_explained_row_by_row(self):
        a, b, c, d, e = self.refs
        other = self._payment_of_another_payroll()
        good = HEADER + f"{a},SUCCESS,50.70,2026-11-10,R-1,\n"
        for bad, column, message in (
            ("PAY-NOPE,SUCCESS,1,2026-11-10,,\n", "reference", "unknown 'PAY-NOPE'"),
            (
                f"{other.reference},SUCCESS,1,2026-11-10,,\n",
                "reference",
                "another payroll",
            ),
            (f"{b},SUCCESS,61.21,2026-11-10,,\n", "amount", "more than issued 60.70"),
        ):
            with self.subTest(message):
                wizard = self._wizard(self.payroll, good + bad)
                before, first_id = self._batch_count(), self._stored_line_ids()
                wizard.action_check()
                self.assertEqual(wizard.error_count, 1)
                self.assertIn(f"row 3, column &#39;{column}&#39;", wizard.result_html)
                self.assertIn(escape(message), wizard.result_html)
                with self.assertRaisesRegex(UserError, "1 rows of reply.csv") as error:
                    wizard.action_import()
                self.assertIn(f"row 3, column '{column}'", str(error.exception))
                self.assertIn(message, str(error.exception))
                self.assertEqual(self._batch_count(), before)
                self.env.cr.execute(
                    "SELECT COUNT(*) FROM spp_reconciliation_line WHERE id > %s",
                    [first_id],
                )
                self.assertEqual(self.env.cr.fetchone()[0], 0)
                self.env.cr.execute("SELECT to_regclass('pg_temp.spp_reply_row')")
                self.assertIsNone(self.env.cr.fetchone()[0])
        # The good row alone comes in, in bulk.
        batch = self._import_in_bulk(good)
        self.assertEqual(batch.line_ids.outcome, "paid")

    def test_a_reply_of_too_many_cases_is_stored_row_by_row(self):
        wizard = self._wizard(self.payroll, self._clean_reply())
        with (
            patch.object(reconciliation_import, "MAX_CASES", 1),
            patch.object(
                type(wizard),
                "_spp_insert_staged_lines",
                side_effect=AssertionError("in bulk"),
            ),
        ):
            action = wizard.action_import()
        batch = self.env["spp.reconciliation"].browse(action["res_id"])
        self._check_stored_whole(batch)

    def test_accepted_by_another_manager_updates_payments_and_balances(self):
        batch = self._import(self.payroll, self._clean_reply())
        self.assertEqual(batch.approval_state, "submitted")
        self.assertEqual(batch.line_count, 4)
        # Nothing moves before acceptance.
        self.assertEqual(set(self.payroll.payment_ids.mapped("state")), {"sent"})
        # A finance officer is no checker.
        with self.assertRaises(AccessError):
            batch.with_user(self.finance).action_approve()
        # Nor edit the batch over RPC.
        with self.assertRaisesRegex(UserError, "cannot be edited"):
            batch.with_user(self.finance).write({"name": "tampered"})
        paid_before = self.members[0].paid_total
        batch.with_user(self.manager).action_approve()
        self.assertTrue(batch.applied_date)
        pay = {h: self._payment_of(self.payroll, h) for h in self.households}
        h1, h2, h3, h4, h5 = self.households
        self.assertEqual(pay[h1].state, "paid")
        self.assertEqual(pay[h1].external_ref, "R-1")
        self.assertEqual(pay[h2].paid_amount, 60.70)
        self.assertEqual(pay[h3].state, "paid")
        self.assertEqual(Decimal(str(pay[h3].paid_amount)), Decimal("40.00"))
        self.assertEqual(pay[h4].state, "failed")
        self.assertEqual(pay[h5].state, "sent")
        self.members.invalidate_recordset()
        self.assertAlmostEqual(self.members[0].paid_total - paid_before, 50.70, 2)
        self.assertAlmostEqual(self.members[2].paid_total, 40.0, 2)
        line = batch.line_ids.filtered(lambda x: x.payment_id == pay[h1])
        self.assertEqual(line.extra, {"agent": "north"})
        self.assertEqual(
            batch.line_ids.filtered(lambda x: x.payment_id == pay[h3]).outcome,
            "partial",
        )

    def test_same_file_is_refused_and_final_rows_are_skipped(self):
        reply = self._clean_reply()
        batch = self._import(self.payroll, reply)
        batch.with_user(self.manager).action_approve()
        with self.assertRaisesRegex(UserError, "already imported"):
            self._wizard(self.payroll, reply).action_import()
        # A later reply repeating a paid row skips it, and pays the last one.
        a, _b, _c, _d, e = self.refs
        later = self._import(
            self.payroll,
            HEADER
            + f"{a},SUCCESS,50.70,2026-11-10,R-1,\n"
            + f"{e},SUCCESS,50.70,2026-11-12,R-5,\n",
            name="reply-2.csv",
        )
        skipped = later.line_ids.filtered(lambda x: x.outcome == "skipped")
        self.assertEqual(skipped.payment_id.reference, a)
        self.assertIn("already final (paid)", skipped.note)
        paid_events = len(
            skipped.payment_id.event_ids.filtered(lambda ev: ev.new_state == "paid")
        )
        later.with_user(self.manager).action_approve()
        self.assertEqual(
            self._payment_of(self.payroll, self.households[4]).state, "paid"
        )
        skipped.payment_id.invalidate_recordset()
        self.assertEqual(
            len(
                skipped.payment_id.event_ids.filtered(lambda ev: ev.new_state == "paid")
            ),
            paid_events,
        )

    def test_rejection_clears_the_batch_so_the_file_can_come_again(self):
        reply = self._clean_reply()
        batch = self._import(self.payroll, reply)
        batch.with_user(self.manager).action_reject(reason="wrong payroll date")
        self.assertTrue(batch.cleared)
        self.assertFalse(batch.line_ids)
        self.assertEqual(set(self.payroll.payment_ids.mapped("state")), {"sent"})
        again = self._import(self.payroll, reply)
        self.assertEqual(again.line_count, 4)

    def test_a_manager_cannot_accept_the_file_they_uploaded(self):
        batch = self._import(self.payroll, self._clean_reply(), user=self.manager)
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            batch.with_user(self.manager).action_approve()
        self.assertEqual(set(self.payroll.payment_ids.mapped("state")), {"sent"})
        batch.with_user(self.manager2).action_approve()
        self.assertTrue(batch.applied_date)

    def test_viewer_cannot_import(self):
        with self.assertRaises(AccessError):
            self._wizard(self.payroll, self._clean_reply(), user=self.users["viewer"])

    def test_lookup_gives_each_payment_as_the_database_knows_it(self):
        # The lookup is built in column passes: every payment of the payroll
        # by its key, and a key naming several payments gives all of them.
        wizard = self._wizard(self.payroll, self._clean_reply())
        payments = self.payroll.payment_ids
        lookup = wizard._spp_fetch_lookup(
            SQL("p.reference"),
            SQL("p.payroll_id = %s", self.payroll.id),
            SQL(""),
            "reference",
            {},
        )
        self.assertEqual(
            lookup,
            {
                p.reference: (
                    p.id,
                    self.payroll.id,
                    p.program_id.id,
                    Decimal(str(p.amount)).quantize(Decimal("0.01")),
                    p.state,
                )
                for p in payments
            },
        )
        self.assertIsInstance(lookup[payments[0].reference].amount, Decimal)
        shared = wizard._spp_fetch_lookup(
            SQL("'same'"),
            SQL("p.payroll_id = %s", self.payroll.id),
            SQL(""),
            "registrant",
            {},
        )
        self.assertEqual(list(shared), ["same"])
        self.assertEqual(
            sorted(target.id for target in shared["same"]), sorted(payments.ids)
        )

    def test_match_on_registrant_id(self):
        self.fsp.write(
            {
                "recon_match_on": "registrant",
                "recon_match_column": "id",
                "recon_amount_column": False,
                "recon_date_column": False,
                "recon_receipt_column": False,
                "recon_extra_columns": False,
            }
        )
        batch = self._import(
            self.payroll, "id,status\nHH-0001,SUCCESS\nHH-0002,FAILED\n"
        )
        outcomes = {
            line.payment_id.partner_id.registrant_number: line.outcome
            for line in batch.line_ids
        }
        self.assertEqual(outcomes, {"HH-0001": "paid", "HH-0002": "failed"})

    def _check_fails(self, content, name, message):
        wizard = self._wizard(self.payroll, content, name)
        before = self._batch_count()
        wizard.action_check()
        self.assertEqual(wizard.error_count, 1)
        self.assertIn(name, wizard.result_html)
        self.assertIn(message, wizard.result_html)
        with self.assertRaises(UserError):
            wizard.action_import()
        self.assertEqual(self._batch_count(), before)

    def test_bad_files_get_a_clear_message(self):
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b" " * 400_000_000)
        cases = [
            (b"", "empty.csv", "the file is empty"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.csv", "binary content"),
            (
                "reference,status\nPAY,réussi\n".encode("latin-1"),
                "latin.csv",
                "not valid utf-8",
            ),
            (b"ref,state\nA,B\n", "columns.csv", "missing column"),
            (bomb.getvalue(), "bomb.xlsx", "zip bomb"),
            (b"<?xml version='1.0'?><Document/>", "other.xml", "has no XML namespace"),
        ]
        for content, name, message in cases:
            with self.subTest(name=name):
                self._check_fails(content, name, message)

    def _retry(self):
        with trap_jobs() as trap:
            self.payroll.with_user(self.finance).action_retry_failed()
            trap.perform_enqueued_jobs()

    def test_late_paid_row_after_a_failure_and_a_retry_is_a_suspected_double(self):
        a = self.refs[0]
        payment = self._payment_of(self.payroll, self.households[0])
        first = payment.current_attempt_id
        failed = self._import(self.payroll, HEADER + f"{a},FAILED,,,,\n", "r1.csv")
        failed.with_user(self.manager).action_approve()
        self.assertEqual(payment.state, "failed")
        self._retry()
        self.assertNotEqual(payment.current_attempt_id, first)
        again = self._import(self.payroll, HEADER + f"{a},FAILED,,,,second\n", "r2.csv")
        again.with_user(self.manager).action_approve()
        self.assertEqual(payment.state, "failed")
        # The bank's corrected statement: the first transfer went out after all.
        late = self._import(
            self.payroll, HEADER + f"{a},SUCCESS,50.70,2026-11-10,R-LATE,\n", "r3.csv"
        )
        self.assertEqual(late.line_ids.outcome, "double")
        self.assertEqual(late.summary["file"]["suspected_double"], 1)
        late.with_user(self.manager).action_approve()
        receivable = self._assert_suspected_double(
            payment, payment.current_attempt_id, "file_row", state="failed"
        )
        self.assertEqual(receivable.receipt, "R-LATE")
        self.assertEqual(receivable.evidence_model, "spp.reconciliation.line")
        self.assertEqual(receivable.evidence_id, late.line_ids.id)
        self.assertEqual(late.line_ids.outcome, "skipped")
        self.assertIn("suspected double payment", late.line_ids.note)

    def test_paid_above_the_issued_amount_records_the_excess(self):
        a = self.refs[0]
        payment = self._payment_of(self.payroll, self.households[0])
        batch = self._import(
            self.payroll, HEADER + f"{a},SUCCESS,51.00,2026-11-10,R-1,\n"
        )
        batch.with_user(self.manager).action_approve()
        self.assertEqual(payment.state, "paid")
        self.assertTrue(payment.is_overpaid)
        (receivable,) = payment.overpayment_ids
        self.assertEqual(receivable.kind, "excess")
        self.assertAlmostEqual(receivable.amount, 51.00 - payment.amount, 2)

    def test_a_reply_of_another_fsp_settles_nothing(self):
        bank_b = self.fsp.copy({"name": "Bank B"})
        a, b = self.refs[:2]
        wizard = (
            self.env["spp.reconciliation.import"]
            .with_user(self.finance)
            .create(
                {
                    "payroll_id": self.payroll.id,
                    "fsp_id": bank_b.id,
                    "data": base64.b64encode(
                        (
                            HEADER
                            + f"{a},SUCCESS,50.70,2026-11-10,R-1,\n"
                            + f"{b},FAILED,,,,\n"
                        ).encode()
                    ),
                    "file_name": "bank-b.csv",
                }
            )
        )
        wizard.action_check()
        batch = self.env["spp.reconciliation"].browse(wizard.action_import()["res_id"])
        batch.with_user(self.manager).action_approve()
        self.assertEqual(set(self.payroll.payment_ids.mapped("state")), {"sent"})
        self.assertEqual(set(batch.line_ids.mapped("outcome")), {"skipped"})
        for line in batch.line_ids:
            self.assertIn("sent through File Bank, not Bank B", line.note)
