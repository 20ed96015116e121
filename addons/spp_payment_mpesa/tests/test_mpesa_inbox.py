# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from urllib.parse import urlsplit

from psycopg2.errors import LockNotAvailable
from spp_payment_core.simulators.mpesa import MpesaSimulator

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tools import mute_logger

from odoo.addons.spp_payment_base.tests.common import server_log
from odoo.addons.spp_payroll.tests.common import SppConnectorCommon

from .test_mpesa import CALLBACK_LOGGER, KEY, mpesa_fsp_values


class TestMpesaInbox(SppConnectorCommon):
    """Daraja's Results as the HTTP entry point takes them (``defer``): the
    request authenticates, validates and inserts; the apply job applies the
    inbox in batches, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_simulator(
            MpesaSimulator(KEY, max_seconds=600, deliver=cls._deliver_deferred)
        )
        cls.fsp.sudo().write(mpesa_fsp_values(cls.sim, retry_backoff_seconds=0))
        cls.whole_cycle = cls._approve(
            cls._create_cycle(
                name="whole", date_start="2026-12-01", date_end="2026-12-31"
            )
        )

    @classmethod
    def _deliver_deferred(cls, url, body, headers=None):
        return cls._receive(url, json.dumps(body).encode())

    @classmethod
    def _receive(cls, url, raw):
        parts = urlsplit(url).path.split("/")
        status, _answer = cls.env["spp.payment.callback"]._spp_receive(
            parts[3], raw, {}, "127.0.0.1", kind=parts[5], defer=True
        )
        return status

    def _payroll(self, suffixes, cycle=None):
        return super()._payroll(suffixes, cycle=cycle or self.whole_cycle)

    def _inbox(self, state=None):
        domain = [("fsp_id", "=", self.fsp.id)]
        if state:
            domain.append(("state", "=", state))
        return self.env["spp.payment.callback"].search(domain)

    def _paid_events(self, payroll):
        return self.env["spp.payment.event"].search_count(
            [("payment_id", "in", payroll.payment_ids.ids), ("new_state", "=", "paid")]
        )

    def test_request_stores_and_the_job_applies_once(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        delivered = list(self.sim.callbacks)
        self.assertEqual(self.sim.flush(), [200] * 5)
        # Answered, recorded, not applied yet: the apply job does it.
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"accepted"})
        self.assertEqual(len(self._inbox("pending")), 5)
        jobs = self.env["queue.job"].search(
            [("identity_key", "=", f"spp.payment.callback:pending:{self.fsp.id}")]
        )
        self.assertEqual(len(jobs), 1)  # one job for the five
        # Daraja delivers a Result again, spelled otherwise: a duplicate.
        url, body = delivered[0][:2]
        again = json.dumps(body, indent=2, sort_keys=True).encode()
        self.assertEqual(self._receive(url, again), 200)
        self.assertEqual(len(self._inbox("duplicate")), 1)
        callbacks = self.env["spp.payment.callback"]
        self.assertEqual(callbacks._spp_apply_pending(self.fsp), 5)
        self.assertEqual(self._state_list(payroll), ["paid"] * 5)
        # The apply job run again (a second runner, a retry) applies nothing.
        self.assertEqual(callbacks._spp_apply_pending(self.fsp), 0)
        self.assertEqual(self._paid_events(payroll), 5)
        self.assertEqual(len(self._inbox("applied")), 5)
        # A re-delivery after it was applied changes nothing either.
        self.assertEqual(self._receive(url, json.dumps(body).encode()), 200)
        self.assertEqual(callbacks._spp_apply_pending(self.fsp), 0)
        self.assertEqual(self._paid_events(payroll), 5)
        self.assertEqual(len(self._inbox("duplicate")), 2)

    def test_apply_job_queued_while_none_waits(self):
        """The request looks up a waiting apply job in its INSERT: none
        queued for a duplicate, one for the first Result, none more while it
        waits, and a new one once it runs (it may have taken its batch before
        this Result was committed)."""
        payroll = self._payroll(["0000"] * 3)
        self._execute(payroll)
        # One Result per conversation: Daraja (and its simulator) may post
        # one twice, when a request was sent again on a dropped connection.
        delivered = list(
            {
                body["Result"]["ConversationID"]: (url, json.dumps(body).encode())
                for url, body, *_ in reversed(self.sim.callbacks)
            }.values()
        )[::-1]
        self.assertGreaterEqual(len(delivered), 3)  # three distinct Results used
        self.sim.callbacks.clear()
        identity = f"spp.payment.callback:pending:{self.fsp.id}"

        def jobs():
            return self.env["queue.job"].search(
                [("identity_key", "=", identity)], order="id"
            )

        self.assertFalse(jobs())
        self.assertEqual(self._receive(*delivered[0]), 200)
        self.assertEqual(len(jobs()), 1)
        self.assertEqual(self._receive(*delivered[0]), 200)  # a duplicate
        self.assertEqual(self._receive(*delivered[1]), 200)
        self.assertEqual(len(jobs()), 1)
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'started' WHERE id = %s", [jobs().id]
        )
        jobs().invalidate_recordset(["state"])
        self.assertEqual(self._receive(*delivered[2]), 200)
        self.assertEqual(jobs().mapped("state"), ["started", "pending"])
        self.assertEqual(len(self._inbox("pending")), 3)
        self.assertEqual(len(self._inbox("duplicate")), 1)

    def test_late_success_after_failure_in_one_batch_is_a_suspected_double(self):
        """A failure and then a success for one payment, applied in the same
        batch: in the order received, so the success is a suspected double
        payment, not a silent "paid"."""
        payroll = self._payroll(["0001", "0000", "0000", "0000", "0000"])
        self._execute(payroll)
        payment = payroll.payment_ids.filtered(lambda p: p.destination.endswith("0001"))
        self.sim.flush()  # Daraja fails it
        self.sim.late_success(payment.current_attempt_id.idempotency_key)
        self.sim.flush()
        self.assertEqual(len(self._inbox("pending")), 6)
        self.env["spp.payment.callback"]._spp_apply_pending(self.fsp)
        payment.invalidate_recordset()
        self.assertEqual(payment.state, "failed")
        receivable = self.env["spp.payment.overpayment"].search(
            [("payment_id", "=", payment.id)]
        )
        self.assertEqual(len(receivable), 1)
        self.assertEqual(receivable.kind, "double")
        # Its evidence is the callback that reported the success.
        key = payment.current_attempt_id.idempotency_key
        success = self._inbox().filtered(
            lambda c: (
                key in c.payload
                and str(json.loads(c.payload)["Result"]["ResultCode"]) == "0"
            )
        )
        self.assertEqual(receivable.evidence_id, success.id)

    def test_malformed_result_is_refused_logged_and_not_queued(self):
        payroll = self._payroll(["0000"] * 5)
        self._execute(payroll)
        url, body = self.sim.callbacks[0][:2]
        self.sim.callbacks.clear()
        body = json.loads(json.dumps(body))
        del body["Result"]["ResultCode"]  # authenticated, but unreadable
        with server_log() as lines:
            status = self._receive(url, json.dumps(body).encode())
        self.assertEqual(status, 400)
        refusals = [line for line in lines if "Refused callback" in line]
        self.assertEqual(len(refusals), 1, lines)
        self.assertIn(f"{CALLBACK_LOGGER} INFO Refused", refusals[0])
        self.assertEqual(self._inbox().mapped("state"), ["refused"])
        self.assertFalse(self._inbox().message_key)
        self.assertEqual(self.env["spp.payment.callback"]._spp_apply_pending(), 0)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"accepted"})
        with mute_logger(CALLBACK_LOGGER):
            self.assertEqual(self._receive(url, b"{not json"), 400)
        self.assertEqual(self._inbox().mapped("state"), ["refused"] * 2)

    def test_concurrent_deliveries_of_one_result_record_one(self):
        """Two requests with the same Result at once, each in its own
        transaction (two HTTP workers): while the first is not committed the
        second waits on the unique key (it cannot slip in a second pending
        row); once the first commits, the second is a duplicate. Two appliers
        at once: the second skips the row the first holds."""
        dbname = self.env.cr.dbname
        with sql_db.db_connect(dbname).cursor() as setup:
            env = api.Environment(setup, SUPERUSER_ID, {})
            fsp_id = (
                env["spp.fsp"]
                .create(
                    {"name": "concurrent M-Pesa", "provider": "mpesa", "state": "test"}
                )
                .id
            )
            setup.commit()
        key = "result:ws_CO_1:AG_1:0"
        first = sql_db.db_connect(dbname).cursor()
        second = sql_db.db_connect(dbname).cursor()

        def store(cr):
            env = api.Environment(cr, SUPERUSER_ID, {})
            fsp = env["spp.fsp"].browse(fsp_id)
            return env["spp.payment.callback"]._spp_store(
                fsp, "result", b'{"Result": {}}', None, key
            )[1]

        try:
            self.assertEqual(store(first), "pending")
            second.execute("SET lock_timeout = '300ms'")
            with self.assertRaises(LockNotAvailable), mute_logger("odoo.sql_db"):
                store(second)
            second.rollback()
            first.commit()
            self.assertEqual(store(second), "duplicate")
            second.commit()
            first.execute(
                "SELECT state, message_key FROM spp_payment_callback "
                "WHERE fsp_id = %s ORDER BY id",
                [fsp_id],
            )
            self.assertEqual(first.fetchall(), [("pending", key), ("duplicate", None)])
            first.commit()
            # An applier holding the pending row (a running apply job): a
            # second one skips it instead of applying it again, or waiting.
            first.execute(
                "SELECT id FROM spp_payment_callback WHERE fsp_id = %s "
                "AND state = 'pending' FOR UPDATE",
                [fsp_id],
            )
            env = api.Environment(second, SUPERUSER_ID, {})
            applier = env["spp.payment.callback"]
            fsp = env["spp.fsp"].browse(fsp_id)
            self.assertEqual(applier._spp_apply_pending(fsp), 0)
            second.rollback()
            first.rollback()
            with mute_logger(CALLBACK_LOGGER):  # {"Result": {}} is refused
                self.assertEqual(applier._spp_apply_pending(fsp), 1)
            second.commit()
        finally:
            for cr in (first, second):
                cr.rollback()
            first.execute(
                "DELETE FROM spp_payment_callback WHERE fsp_id = %s", [fsp_id]
            )
            first.execute("DELETE FROM spp_fsp WHERE id = %s", [fsp_id])
            first.commit()
            first.close()
            second.close()
