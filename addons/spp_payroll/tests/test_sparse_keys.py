# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Keys of a payment that are empty at generation are kept by triggers, not by
PostgreSQL foreign keys, and are as strict."""

import psycopg2

from odoo.tools import SQL, mute_logger

from .common import SppPayrollCommon, foreign_key_columns


class TestSparseKeys(SppPayrollCommon):
    def _payment(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        return payroll.payment_ids[0]

    def test_no_foreign_key_but_a_trigger_that_skips_empty_keys(self):
        keys = foreign_key_columns(self.env.cr, "spp_payment")
        self.assertNotIn("excluded_payroll_id", keys)
        self.assertNotIn("quarantine_cleared_uid", keys)
        self.assertNotIn("current_attempt_id", keys)
        self.env.cr.execute(
            SQL(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgname = 'spp_payment_excluded_payroll_id_fk' "
                "AND tgrelid = 'spp_payment'::regclass"
            )
        )
        self.assertIn("IS NOT NULL", self.env.cr.fetchone()[0])

    @mute_logger("odoo.sql_db")
    def test_key_to_a_missing_record_refused(self):
        payment = self._payment()
        self.env.cr.execute(SQL("SELECT MAX(id) + 1 FROM spp_payroll"))
        missing = self.env.cr.fetchone()[0]
        for column in ("excluded_payroll_id", "quarantine_cleared_uid"):
            with self.subTest(column=column):
                with (
                    self.assertRaises(psycopg2.errors.ForeignKeyViolation),
                    self.env.cr.savepoint(),
                ):
                    self.env.cr.execute(
                        SQL(
                            "UPDATE spp_payment SET %s = %s WHERE id = %s",
                            SQL.identifier(column),
                            missing + 10**6,
                            payment.id,
                        )
                    )

    def test_deleting_the_target_empties_the_key(self):
        payment = self._payment()
        other = self._new_payroll()
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payment SET excluded_payroll_id = %s WHERE id = %s",
                other.id,
                payment.id,
            )
        )
        other.unlink()
        self.env.cr.execute(
            SQL("SELECT excluded_payroll_id FROM spp_payment WHERE id = %s", payment.id)
        )
        self.assertIsNone(self.env.cr.fetchone()[0])
