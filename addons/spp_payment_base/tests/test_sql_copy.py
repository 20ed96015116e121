# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io
from datetime import date
from decimal import Decimal

from odoo.tests import TransactionCase, tagged

from odoo.addons.spp_payment_base.tools import (
    copy_column,
    copy_into,
    copy_repeated_values,
    copy_rows,
    copy_values,
    planner_settings,
)


@tagged("post_install", "-at_install")
class TestSqlCopy(TransactionCase):
    """Rows loaded column by column read back from PostgreSQL as they were."""

    def _load(self, columns):
        cr = self.env.cr
        cr.execute("CREATE TEMP TABLE copied (n int, label text, amount numeric)")
        copy_into(cr, "copied (n, label, amount)", io.StringIO(copy_rows(columns)))
        self.env.cr.execute("SELECT n, label, amount FROM copied ORDER BY n")
        return self.env.cr.fetchall()

    def test_values_needing_escapes_read_back_unchanged(self):
        labels = ["plain", "tab\there", "line\nbreak", "back\\slash", "\\N", "cr\rx"]
        rows = self._load(
            [
                copy_values(range(len(labels))),
                copy_column(labels),
                copy_values([Decimal("1.10")] * len(labels)),
            ]
        )
        self.assertEqual([label for _n, label, _a in rows], labels)

    def test_empty_values_are_null_and_clean_columns_pass_as_text(self):
        rows = self._load(
            [
                copy_values([1, 2, 3, 4]),
                copy_column([None, "", False, "x"]),
                copy_values([Decimal("0"), None, Decimal("12.50"), Decimal("-3")]),
            ]
        )
        self.assertEqual(
            [(label, amount) for _n, label, amount in rows],
            [(None, 0.0), (None, None), (None, 12.5), ("x", -3.0)],
        )

    def test_repeated_dates_read_back_as_they_were(self):
        dates = [date(2026, 11, 10), None, date(2026, 11, 9), date(2026, 11, 10)]
        cr = self.env.cr
        cr.execute("CREATE TEMP TABLE copied_dates (n int, day date)")
        text = copy_rows([copy_values([1, 2, 3, 4]), copy_repeated_values(dates)])
        copy_into(cr, "copied_dates (n, day)", io.StringIO(text))
        cr.execute("SELECT day FROM copied_dates ORDER BY n")
        self.assertEqual([day for (day,) in cr.fetchall()], dates)


@tagged("post_install", "-at_install")
class TestPlannerSettings(TransactionCase):
    def _setting(self):
        self.env.cr.execute("SHOW enable_mergejoin")
        return self.env.cr.fetchone()[0]

    def test_a_setting_holds_in_the_block_and_is_given_back(self):
        self.env.cr.execute("SET LOCAL enable_mergejoin = on")
        with planner_settings(self.env.cr, enable_mergejoin="off"):
            self.assertEqual(self._setting(), "off")
        self.assertEqual(self._setting(), "on")
        self.env.cr.execute("SET LOCAL enable_mergejoin = off")
        with planner_settings(self.env.cr, enable_mergejoin="off"):
            pass
        self.assertEqual(self._setting(), "off", "what was set before stays")

    def test_an_error_in_the_block_is_left_to_its_rollback(self):
        self.env.cr.execute("SET LOCAL enable_mergejoin = on")
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            with planner_settings(self.env.cr, enable_mergejoin="off"):
                raise ZeroDivisionError
        self.assertEqual(self._setting(), "on")
