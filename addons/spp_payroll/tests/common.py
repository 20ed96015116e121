# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import secrets
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

from psycopg2.errors import LockNotAvailable

from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_approval.tests.tools import mark_approved
from odoo.addons.spp_payment_base.tools import guarded_write
from odoo.addons.spp_payment_cycle.tests.common import SppCycleCommon


def perform_jobs(trap):
    """Perform the trapped jobs and those they enqueue, as the job runner
    would: a chunk's delivery is a second job, enqueued by its queueing."""
    while trap.enqueued_jobs:
        trap.perform_enqueued_jobs()


def fund_fsps(fsps, amount=1_000_000_000):
    """Record a fresh, ample balance for ``fsps``, as their own report (a
    statement's, say): execution then needs no manager's confirmation."""
    for fsp in fsps:
        fsp._spp_record_balance(amount, fields.Datetime.now(), "test funding")


class SppPayrollCommon(SppCycleCommon):
    """An approved program and cycle (50 fixed, +15 disability, a 0.70 fee credit
    outside the cap of 60) and five digital households plus one at a payment point."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The manual FSP has no balance API: its account is known funded by a
        # report (as a statement would), so execution needs no confirmation.
        cls._fund(cls.fsp)
        cls.households = cls.household
        for n in range(2, 6):
            cls.households |= cls._create_household(
                f"HH-{n:04d}", phone_e164=f"+25470000000{n}", has_disability=n == 2
            )
        cls.household.write({"phone_e164": "+254700000001"})
        cls.members = cls.membership
        for household in cls.households[1:]:
            cls.members |= cls.env["spp.program.membership"].create(
                {
                    "program_id": cls.program.id,
                    "partner_id": household.id,
                    "fsp_id": cls.fsp.id,
                }
            )
        cls.cash_member = cls.env["spp.program.membership"].create(
            {
                "program_id": cls.program.id,
                "partner_id": cls._create_household("HH-CASH").id,
                "channel": "payment_point",
            }
        )
        cls.cycle = cls._approve(
            cls._create_cycle(
                has_cap=True,
                cap_amount=60.0,
                rule_ids=[
                    (
                        0,
                        0,
                        {
                            "name": "Disability",
                            "code": "disability",
                            "amount": 15.0,
                            "condition": "[('partner_id.has_disability', '=', True)]",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Fee credit",
                            "code": "fee",
                            "amount": 0.7,
                            "counts_toward_cap": False,
                        },
                    ),
                ],
            )
        )

    @classmethod
    def _fund(cls, fsps, amount=1_000_000_000):
        fund_fsps(fsps, amount)

    @classmethod
    def _new_payroll(cls, cycle=None, **vals):
        return (
            cls.env["spp.payroll"]
            .with_user(cls.users["program_officer"])
            .create({"name": "Payroll", "cycle_id": (cycle or cls.cycle).id, **vals})
        )

    @classmethod
    def _approved_payroll(cls, cycle=None, **vals):
        payroll = cls._new_payroll(cycle, **vals)
        payroll.action_generate()
        return cls._approve(payroll)

    def _payment_of(self, payroll, household):
        return payroll.payment_ids.filtered(lambda p: p.partner_id == household)

    def _failed_twice(self, codes, settle):
        """The connectors' double-payment scenario up to the late report: a
        payroll of ``codes`` (the test's ``_payroll``) whose failing payment is
        retried and fails again, each run ``_execute``d then ``settle``d.
        Returns (that payment, its first attempt)."""
        payroll = self._payroll(codes)
        self._execute(payroll)
        settle()
        payment = payroll.payment_ids.filtered(lambda p: p.state == "failed")
        first = payment.current_attempt_id
        self._execute(payroll, "action_retry_failed")
        settle()
        self.assertEqual(payment.state, "failed")  # the retry failed too
        self.assertNotEqual(payment.current_attempt_id, first)
        return payment, first

    def _assert_suspected_double(self, payment, attempt, source, state=None):
        """``payment`` is flagged, with one open double-payment receivable from
        ``source`` naming ``attempt``, and a to-do for every Finance Manager."""
        payment.invalidate_recordset()
        if state:
            self.assertEqual(payment.state, state)
        self.assertTrue(payment.is_suspected_double)
        receivable = payment.overpayment_ids.filtered(
            lambda o: o.kind == "double" and o.state == "open"
        )
        self.assertEqual(len(receivable), 1)
        self.assertEqual(receivable.source, source)
        self.assertEqual(receivable.attempt_id, attempt)
        self.assertEqual(receivable.partner_id, payment.partner_id)
        self.assertEqual(receivable.amount, payment.amount)
        managers = self.env.ref(
            "spp_payment_base.group_spp_finance_manager"
        ).all_user_ids.filtered(lambda u: payment.company_id in u.company_ids)
        activities = self.env["mail.activity"].search(
            [("res_model", "=", receivable._name), ("res_id", "=", receivable.id)]
        )
        self.assertEqual(activities.user_id, managers)
        return receivable

    # A committed world, for what one transaction cannot show ----------------

    @contextmanager
    def _worker_env(self):
        """A cursor of its own, committed on leaving, as a job worker has: what
        the test transaction holds is invisible to it, and the other way."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def _committed_payroll_run(self, suffixes, destinations=None):
        """A running execution of a payroll of approved payments through a
        committed copy of ``self.fsp``, removed again after the test; paid to
        MSISDNs ending with ``suffixes``, or to ``destinations``."""
        destinations = destinations or [
            f"+2547{n:04d}{suffix}" for n, suffix in enumerate(suffixes)
        ]
        fsp = self.fsp.sudo()
        names = [
            name
            for name, field in fsp._fields.items()
            if field.store
            and field.type not in ("one2many", "many2many")
            and not field.compute
            and name
            not in (
                "id",
                "api_token",
                "api_token_expiry",
                "callback_secret",
                # unique: a copy gets its own (the test's uncommitted FSP holds it)
                "callback_public_id",
            )
            and not name.startswith(("message_", "create_", "write_"))
        ]
        config = fsp.read(names, load=None)[0]
        config.pop("id", None)
        tag = secrets.token_hex(4)
        with self._worker_env() as env:
            new_fsp = env["spp.fsp"].create(config)
            program, cycle, payroll, members = self._committed_program(
                env, f"LOCK-{tag}", len(destinations), fsp_id=new_fsp.id
            )
            partners = members.partner_id
            # As generation does: payments enter a payroll only through it.
            with guarded_write("payroll_payments"):
                payments = env["spp.payment"].create(
                    [
                        {
                            "program_id": program.id,
                            "membership_id": member.id,
                            "partner_id": member.partner_id.id,
                            "fsp_id": new_fsp.id,
                            "amount": 50.0,
                            "destination_type": "msisdn",
                            "destination": destination,
                            "payroll_id": payroll.id,
                            "cycle_id": cycle.id,
                        }
                        for member, destination in zip(
                            members, destinations, strict=True
                        )
                    ]
                )
            payments._set_approved()
            run = env["spp.payroll.run"].create(
                {
                    "payroll_id": payroll.id,
                    "kind": "execute",
                    "chunk_count": 1,
                    "payment_count": len(payments),
                    "chunk_ids": [(0, 0, {"number": 0, "fsp_id": new_fsp.id})],
                }
            )
            world = {
                "fsp": new_fsp.id,
                "program": program.id,
                "cycle": cycle.id,
                "payroll": payroll.id,
                "partners": partners.ids,
                "payments": payments.ids,
                "run": run.id,
            }
        self.addCleanup(self._remove_committed, world)
        return world

    @classmethod
    def _committed_program(cls, env, code, count, **member_vals):
        """An approved program ``code`` with an approved cycle, a draft
        payroll and ``count`` enrolled households, written in ``env`` (a
        worker's): (program, cycle, payroll, memberships)."""
        program = env["spp.program"].create(
            {"name": code, "code": code, "target_type": "household"}
        )
        cls._mark_approved(program)
        cycle = env["spp.payment.cycle"].create(
            {
                "name": code,
                "program_id": program.id,
                "date_start": "2026-12-01",
                "date_end": "2026-12-31",
                "fixed_amount": 50.0,
            }
        )
        cls._mark_approved(cycle)
        payroll = env["spp.payroll"].create({"name": code, "cycle_id": cycle.id})
        partners = env["res.partner"].create(
            [
                {
                    "name": f"{code} {n}",
                    "is_registrant": True,
                    "registrant_type": "household",
                    "registrant_number": f"{code}-{n}",
                }
                for n in range(count)
            ]
        )
        members = env["spp.program.membership"].create(
            [
                {"program_id": program.id, "partner_id": p.id, **member_vals}
                for p in partners
            ]
        )
        return program, cycle, payroll, members

    _mark_approved = staticmethod(mark_approved)

    def _remove_committed(self, world):
        statements = [
            ("DELETE FROM spp_payment_event WHERE payment_id = ANY(%s)", "payments"),
            ("DELETE FROM spp_payment_callback WHERE fsp_id = %s", "fsp"),
            (
                "UPDATE spp_payment SET current_attempt_id = NULL WHERE id = ANY(%s)",
                "payments",
            ),
            ("DELETE FROM spp_payment_attempt WHERE payment_id = ANY(%s)", "payments"),
            ("DELETE FROM spp_payment WHERE id = ANY(%s)", "payments"),
            ("DELETE FROM spp_payroll_run WHERE id = %s", "run"),
            ("DELETE FROM spp_payroll WHERE id = %s", "payroll"),
            ("DELETE FROM spp_payment_cycle WHERE id = %s", "cycle"),
            ("DELETE FROM spp_program_membership WHERE program_id = %s", "program"),
            ("DELETE FROM spp_program WHERE id = %s", "program"),
            ("DELETE FROM res_partner WHERE id = ANY(%s)", "partners"),
            ("DELETE FROM spp_fsp WHERE id = %s", "fsp"),
        ]
        with self._worker_env() as env:
            for query, key in statements:
                env.cr.execute(SQL(query, world[key]))


SETTLED = {"paid", "failed", "rejected", "reversed", "unknown"}


def foreign_key_columns(cr, table):
    """Columns of ``table`` that carry a PostgreSQL foreign key."""
    cr.execute(
        SQL(
            "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.conrelid = %s::regclass",
            table,
        )
    )
    return {row[0] for row in cr.fetchall()}


class SppConnectorCommon(SppPayrollCommon):
    """Payrolls paid by ``cls.fsp`` through a loopback simulator ``cls.sim``
    (set up by the connector's test class), with the fault-injection suite's
    invariants: nobody paid twice, by us or at the FSP; no payment lost; every
    request valid; every callback recorded."""

    @classmethod
    def _start_simulator(cls, simulator):
        cls.sim = simulator
        cls.sim.start()
        cls.addClassCleanup(cls.sim.stop)

    @classmethod
    def _deliver(cls, url, body, headers=None):
        """An FSP's callback reaches our callback entry point, as the HTTP
        controller passes it (the HTTP layer is tested on its own): the URL
        /spp_payment/fsp/<callback ID>/callback[/<kind>] and the headers the
        FSP sends."""
        parts = urlsplit(url).path.split("/")
        received = {k.lower(): v for k, v in (headers or {}).items()}
        status, _answer = cls.env["spp.payment.callback"]._spp_receive(
            parts[3],
            json.dumps(body).encode(),
            received,
            "127.0.0.1",
            kind=parts[5] if len(parts) > 5 else None,
        )
        return status

    def setUp(self):
        super().setUp()
        for queue in (
            self.sim.callbacks,
            self.sim.faults,
            self.sim.requests,
            self.sim.delivered,
        ):
            queue.clear()
        self.sim.violations.clear()
        self.sim.callbacks_first = False
        self.sim.on_request = None

    def _payroll(self, suffixes, cycle=None):
        """Households paid to MSISDNs ending with ``suffixes`` (see the
        simulators' OUTCOMES)."""
        for index, (household, suffix) in enumerate(
            zip(self.households, suffixes, strict=False)
        ):
            household.phone_e164 = f"+2547{index:04d}{suffix}"
        return self._approved_payroll(cycle=cycle)

    def _execute(self, payroll, method="action_execute"):
        with trap_jobs() as trap:
            getattr(payroll.with_user(self.users["finance_officer"]), method)()
            perform_jobs(trap)

    def _state_list(self, payroll):
        payroll.payment_ids.invalidate_recordset()
        return sorted(payroll.payment_ids.mapped("state"))

    def _state_of(self, payroll, suffix):
        payroll.payment_ids.invalidate_recordset()
        return payroll.payment_ids.filtered(
            lambda p: p.destination.endswith(suffix)
        ).mapped("state")

    def _check_invariants(self, payroll):
        payments = payroll.payment_ids
        payments.invalidate_recordset()
        self.assertEqual(self.sim.violations, [])
        self.assertEqual(self.sim.paid_twice(), [])
        self.assertLessEqual(set(payments.mapped("state")), SETTLED)
        for payment in payments:
            paid = payment.attempt_ids.filtered(lambda a: a.state == "paid")
            self.assertLessEqual(len(paid), 1)
        callbacks = self.env["spp.payment.callback"].search(
            [("fsp_id", "=", self.fsp.id)]
        )
        self.assertEqual(len(callbacks), len(self.sim.delivered))

    def _query_statuses(self):
        """The status cron, then the query jobs it enqueued."""
        with trap_jobs() as trap:
            self.env["spp.fsp"]._cron_spp_query_statuses()
            perform_jobs(trap)

    def _execute_with_crashing_delivery(self, payroll):
        """Execute ``payroll`` as queue_job would when the worker dies once
        after the FSP answered and before the answers were committed (the
        test patches the step that records them to raise once): the queueing
        job committed, the delivery job rolls back, then runs again."""
        with trap_jobs() as trap:
            payroll.with_user(self.users["finance_officer"]).action_execute()
            trap.perform_enqueued_jobs()  # queueing: its own, committed job
            (deliver,) = trap.enqueued_jobs
            with self.assertRaises(ConnectionResetError):
                with self.env.cr.savepoint():
                    deliver.perform()
            # The queueing survived the crash: each payment has its one attempt,
            # still queued, under the key the FSP already received.
            payroll.payment_ids.invalidate_recordset()
            self.assertEqual(set(payroll.payment_ids.mapped("state")), {"queued"})
            self.assertEqual(set(payroll.payment_ids.mapped("attempt_count")), {1})
            keys = set(payroll.payment_ids.current_attempt_id.mapped("idempotency_key"))
            deliver.perform()  # queue_job runs the rolled-back job again
        payroll.payment_ids.invalidate_recordset()
        self.assertEqual(
            set(payroll.payment_ids.current_attempt_id.mapped("idempotency_key")), keys
        )
        return keys

    def _lock_probe(self, payment_ids):
        """From a connection of its own: are the payments committed (visible)
        with their attempts queued, and can they be locked right now?"""
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT COUNT(*) FROM spp_payment p JOIN spp_payment_attempt a "
                    "ON a.id = p.current_attempt_id "
                    "WHERE p.id = ANY(%s) AND a.state = 'queued'",
                    payment_ids,
                )
            )
            queued = cr.fetchone()[0]
            try:
                cr.execute(
                    SQL(
                        "SELECT id FROM spp_payment WHERE id = ANY(%s) "
                        "FOR UPDATE NOWAIT",
                        payment_ids,
                    ),
                    log_exceptions=False,
                )
                lockable = cr.rowcount
            except LockNotAvailable:
                lockable = "locked by the sender"
            cr.rollback()
        return {"attempts queued and committed": queued, "lockable": lockable}

    def _assert_no_payment_locked_while_sending(
        self, send_path, suffixes, destinations=None, requests=1
    ):
        """Run a payroll chunk as the job runner does, each job in a committed
        transaction of its own; each of the ``requests`` (at least) to
        ``send_path`` must find the payments queued, committed, and lockable
        by anyone else."""
        world = self._committed_payroll_run(suffixes, destinations)
        ids = world["payments"]
        probes = []

        probing = threading.Lock()

        def probe(method, path, headers, body):
            # Requests in flight together are probed one after the other (two
            # probes would find each other's locks).
            if path.split("?", 1)[0].endswith(send_path):
                with probing:
                    probes.append(self._lock_probe(ids))

        self.sim.on_request = probe
        followers = []
        with self._worker_env() as env, trap_jobs() as trap:
            env["spp.payroll.run"].browse(world["run"])._job_send_chunk(ids, 0)
            followers = [job.args for job in trap.enqueued_jobs]
        with self._worker_env() as env:
            run = env["spp.payroll.run"].browse(world["run"])
            for args in followers:
                run._job_deliver_chunk(*args)
        self.sim.on_request = None
        self.assertGreaterEqual(len(probes), requests, f"requests to {send_path}")
        expected = {"attempts queued and committed": len(ids), "lockable": len(ids)}
        for seen in probes:
            self.assertEqual(seen, expected)
        with self._worker_env() as env:
            states = set(env["spp.payment"].browse(ids).mapped("state"))
        self.assertNotIn("queued", states)
        return states
