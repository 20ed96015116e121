# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from urllib.parse import urlsplit

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payment_cycle.tests.common import SppCycleCommon


class SppPayrollCommon(SppCycleCommon):
    """An approved program and cycle (50 fixed, +15 disability, a 0.70 fee credit
    outside the cap of 60) and five digital households plus one at a payment point."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
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


SETTLED = {"paid", "failed", "rejected", "reversed", "unknown"}


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
        controller passes it (the HTTP layer is tested on its own)."""
        parts = urlsplit(url).path.split("/")
        received = dict(headers or {})
        if len(parts) > 5:
            received["x-spp-callback-kind"] = parts[5]
        status, _answer = cls.env["spp.payment.callback"]._spp_receive(
            parts[3], parts[4], json.dumps(body).encode(), received
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
            trap.perform_enqueued_jobs()

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
