# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A payment's membership and payroll keys are kept by triggers that
generation takes over (GuardedMany2one), and are as strict as PostgreSQL's
foreign keys: a key names an existing row, a referenced row is not deleted,
and a delete racing a payment of the same membership fails to serialize
instead of leaving a payment of nobody."""

import secrets

import psycopg2

from odoo.tools import SQL, mute_logger

from odoo.addons.spp_payment_base.tools import guarded_write

from .common import SppPayrollCommon, foreign_key_columns

KEYS = {"membership_id": "spp_program_membership", "payroll_id": "spp_payroll"}


class TestGuardedKeys(SppPayrollCommon):
    def _generated_payment(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        return payroll.payment_ids[0]

    def test_keys_kept_by_triggers_not_foreign_keys(self):
        foreign = foreign_key_columns(self.env.cr, "spp_payment")
        self.assertFalse(foreign & set(KEYS))
        self.env.cr.execute(
            SQL(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                "WHERE tgname = ANY(%s)",
                [f"spp_payment_{key}_fk" for key in KEYS],
            )
        )
        self.assertEqual(
            set(self.env.cr.fetchall()),
            {
                ("spp_payment", "spp_payment_membership_id_fk"),
                ("spp_program_membership", "spp_payment_membership_id_fk"),
                ("spp_payment", "spp_payment_payroll_id_fk"),
                ("spp_payroll", "spp_payment_payroll_id_fk"),
            },
        )

    @mute_logger("odoo.sql_db")
    def test_key_to_a_missing_row_refused(self):
        payment = self._generated_payment()
        for key, table in KEYS.items():
            self.env.cr.execute(SQL("SELECT MAX(id) FROM %s", SQL.identifier(table)))
            missing = self.env.cr.fetchone()[0] + 1000
            with (
                self.subTest(key=key),
                self.assertRaises(psycopg2.errors.ForeignKeyViolation),
                self.env.cr.savepoint(),
            ):
                self.env.cr.execute(
                    SQL(
                        "UPDATE spp_payment SET %s = %s WHERE id = %s",
                        SQL.identifier(key),
                        missing,
                        payment.id,
                    )
                )

    @mute_logger("odoo.sql_db")
    def test_deleting_a_referenced_row_refused(self):
        payment = self._generated_payment()
        for key, table in KEYS.items():
            with (
                self.subTest(key=key),
                self.assertRaises(psycopg2.errors.ForeignKeyViolation),
                self.env.cr.savepoint(),
            ):
                self.env.cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE id = %s",
                        SQL.identifier(table),
                        payment[key].id,
                    )
                )
        self.assertTrue(payment.exists())

    def test_generation_checks_its_keys_once(self):
        """Generation writes the program's and payroll's rows (the guards)
        and no key check per payment; an insert of its own, outside, is
        checked row by row again."""
        payroll = self._new_payroll()
        self.env.cr.execute(SQL("SELECT txid_current()"))
        payroll.action_generate()
        self.assertTrue(payroll.payment_ids)
        self.env.cr.execute(
            SQL(
                "SELECT (SELECT xmin::text FROM spp_program WHERE id = %s), "
                "(SELECT xmin::text FROM spp_payroll WHERE id = %s), "
                "current_setting('spp.keys_checked', TRUE)",
                payroll.program_id.id,
                payroll.id,
            )
        )
        program_xmin, payroll_xmin, setting = self.env.cr.fetchone()
        # Both guard rows were written by this transaction (a savepoint of it).
        self.env.cr.execute(SQL("SELECT pg_xact_status(%s::xid8)", program_xmin))
        self.assertEqual(self.env.cr.fetchone()[0], "in progress")
        self.env.cr.execute(SQL("SELECT pg_xact_status(%s::xid8)", payroll_xmin))
        self.assertEqual(self.env.cr.fetchone()[0], "in progress")
        # ... and the setting that skips the rows' checks ended with it.
        self.assertFalse(setting)

    def test_guard_rows_written_once_per_transaction(self):
        """Payments created one by one, inside a savepoint as most code is,
        write the program's row once, not once each (a million writes of one
        row make a chain of a million versions). The payroll's row is written
        by the ORM's totals too: not measured here."""
        payroll = self._new_payroll()
        vals = {
            "program_id": payroll.program_id.id,
            "payroll_id": payroll.id,
            "cycle_id": payroll.cycle_id.id,
        }
        members = self.env["spp.program.membership"].search(
            [("program_id", "=", payroll.program_id.id)], limit=3
        )
        self.assertEqual(len(members), 3)

        def locations():
            self.env.cr.execute(
                SQL(
                    "SELECT ctid::text FROM spp_program WHERE id = %s",
                    vals["program_id"],
                )
            )
            return self.env.cr.fetchone()[0]

        with self.env.cr.savepoint(), guarded_write("payroll_payments"):
            written = []
            for member in members:
                self.env["spp.payment"].create(
                    dict(
                        vals,
                        membership_id=member.id,
                        partner_id=member.partner_id.id,
                        amount=1.0,
                    )
                )
                self.env.flush_all()
                written.append(locations())
        self.assertEqual(len(set(written)), 1, written)


class TestGuardedKeysRace(SppPayrollCommon):
    """Two committed transactions, as two users: one deletes a membership
    while the other pays it. PostgreSQL's own key makes the later of them
    fail; the guard row does the same."""

    def _committed_member(self):
        with self._worker_env() as env:
            program, cycle, payroll, member = self._committed_program(
                env, f"RACE-{secrets.token_hex(4)}", 1
            )
            world = {
                "program": program.id,
                "cycle": cycle.id,
                "payroll": payroll.id,
                "partner": member.partner_id.id,
                "member": member.id,
            }
        self.addCleanup(self._remove_world, world)
        return world

    def _remove_world(self, world):
        with self._worker_env() as env:
            for query, key in (
                (
                    "DELETE FROM spp_payment_event WHERE payment_id IN "
                    "(SELECT id FROM spp_payment WHERE program_id = %s)",
                    "program",
                ),
                ("DELETE FROM spp_payment WHERE program_id = %s", "program"),
                ("DELETE FROM spp_payroll WHERE id = %s", "payroll"),
                ("DELETE FROM spp_payment_cycle WHERE id = %s", "cycle"),
                ("DELETE FROM spp_program_membership WHERE program_id = %s", "program"),
                ("DELETE FROM spp_program WHERE id = %s", "program"),
                ("DELETE FROM res_partner WHERE id = %s", "partner"),
            ):
                env.cr.execute(SQL(query, world[key]))

    def _generate(self, world):
        with self._worker_env() as env:
            env["spp.payroll"].browse(world["payroll"]).action_generate()

    def _create_payment(self, world):
        with self._worker_env() as env, guarded_write("payroll_payments"):
            env["spp.payment"].create(
                {
                    "program_id": world["program"],
                    "membership_id": world["member"],
                    "partner_id": world["partner"],
                    "amount": 50.0,
                    "payroll_id": world["payroll"],
                    "cycle_id": world["cycle"],
                }
            )

    def _payments(self, world):
        with self._worker_env() as env:
            env.cr.execute(
                SQL(
                    "SELECT COUNT(*) FROM spp_payment WHERE membership_id = %s",
                    world["member"],
                )
            )
            return env.cr.fetchone()[0]

    def _delete_after(self, world, pay):
        """Delete the member in a transaction whose snapshot is older than
        ``pay``'s commit: it must fail, not leave the payment orphaned."""
        with self.registry.cursor() as cr:
            cr.execute(SQL("SELECT COUNT(*) FROM spp_payment"))  # the snapshot
            pay(world)
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(psycopg2.errors.SerializationFailure),
            ):
                cr.execute(
                    SQL(
                        "DELETE FROM spp_program_membership WHERE id = %s",
                        world["member"],
                    )
                )
            cr.rollback()
        self.assertEqual(self._payments(world), 1)

    def test_delete_older_than_generation_fails(self):
        self._delete_after(self._committed_member(), self._generate)

    def test_delete_older_than_a_payment_created_fails(self):
        self._delete_after(self._committed_member(), self._create_payment)

    def test_payment_older_than_a_delete_fails(self):
        """The other order: the membership is deleted and committed while an
        older transaction pays it."""
        world = self._committed_member()
        with self.registry.cursor() as cr:
            cr.execute(SQL("SELECT COUNT(*) FROM spp_program_membership"))
            with self._worker_env() as env:
                env.cr.execute(
                    SQL(
                        "DELETE FROM spp_program_membership WHERE id = %s",
                        world["member"],
                    )
                )
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(psycopg2.errors.SerializationFailure),
            ):
                cr.execute(
                    SQL(
                        "UPDATE spp_program SET write_date = write_date WHERE id = %s",
                        world["program"],
                    )
                )
            cr.rollback()
