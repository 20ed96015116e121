# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io
from decimal import Decimal

from odoo.tests import TransactionCase, tagged

from odoo.addons.spp_payment_base.tools import (
    copy_column,
    copy_into,
    copy_rows,
    copy_values,
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
