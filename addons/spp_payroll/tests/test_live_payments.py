# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import psycopg2

from odoo.tools import SQL, mute_logger

from .common import SppPayrollCommon


class TestLivePayments(SppPayrollCommon):
    """A member has at most one live payment per cycle, kept by an index on
    live_cycle_id rather than on the state, so that payments move between live
    states in place."""

    def _hot_updates(self):
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT pg_stat_get_xact_tuples_hot_updated('spp_payment'::regclass)")
        )
        return self.env.cr.fetchone()[0]

    def test_a_transition_writes_no_indexed_column(self):
        payment = self.env["spp.payment"]
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT a.attname
                  FROM pg_index i
                  JOIN pg_attribute a ON a.attrelid = i.indrelid
                 WHERE i.indrelid = 'spp_payment'::regclass
                   AND (a.attnum = ANY(i.indkey)
                        OR pg_get_expr(i.indpred, i.indrelid)
                           ~ ('\\m' || a.attname || '\\M'))
                """
            )
        )
        indexed = {name for (name,) in self.env.cr.fetchall()}
        self.assertIn("live_cycle_id", indexed)
        for target in ("approved", "sent", "paid"):
            written = {
                assignment.code.split(" = ")[0].strip('"')
                for assignment in payment._spp_state_assignments(
                    target, {"paid_date": "2026-01-01"}, True
                )
            }
            self.assertTrue({"state", "state_date", "write_date"} <= written)
            self.assertFalse(written & indexed - {"live_cycle_id"}, target)

    def test_moves_between_live_states_write_no_index(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        payments = payroll.payment_ids.sudo()
        before = self._hot_updates()
        payments._set_approved()
        # Every row rewritten on its own page (HOT): no index entry written.
        # In production each transition is its own transaction and finds the
        # page pruned; here one transaction holds every version, so one move.
        self.assertEqual(self._hot_updates() - before, len(payments))

    def test_failure_frees_the_member_and_a_retry_takes_the_slot_back(self):
        payroll = self._approved_payroll()
        payment = payroll.payment_ids[:1].sudo()
        payment._set_queued()
        payment._set_sent()
        payment._set_failed()
        self.assertFalse(payment.live_cycle_id)
        # The member can be paid again in this cycle, by a new payroll...
        again = self._new_payroll(name="Again")
        again.action_generate()
        self.assertEqual(again.payment_ids.membership_id, payment.membership_id)
        # ...and then the failed payment can no longer be retried beside it.
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            payment._set_queued()
        again.payment_ids.sudo()._set_cancelled()
        payment._set_queued()
        self.assertEqual(payment.live_cycle_id, self.cycle)
        self.assertEqual(payment.state, "queued")
