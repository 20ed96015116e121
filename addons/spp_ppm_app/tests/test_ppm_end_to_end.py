# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import hashlib
import uuid
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import ec
from spp_payment_core import ppm

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs
from odoo.addons.spp_payroll_ppm.tests.common import SppPpmPayrollCommon

PHOTO = b"\xff\xd8\xff\xe0" + b"end-to-end photo " * 32


@tagged("post_install", "-at_install")
class TestPpmEndToEnd(SppPpmPayrollCommon):
    """The whole way, with no fixture shortcut: a PPM payroll grouped by the
    points' criteria and split over the carry limit, approved and executed
    (floats issued); the PPM enrols, downloads, pays and syncs; a checker
    accepts; the float is accounted for and closed; the payroll closes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # North: 50, 50, 50 and 30 over a limit of 100: split in parts.
        cls._cash_members(cls.north, 4, topped_up=3)
        cls.cycle_ppm = cls._ppm_cycle(limit=100.0)
        cls.payroll = cls._ppm_payroll(cls.cycle_ppm)
        cls.payroll.action_assign_ppms()
        cls._approve(cls.payroll)
        with trap_jobs() as trap:
            cls.payroll.with_user(cls.users["finance_officer"]).action_execute()
            perform_jobs(trap)
        cls.payroll.invalidate_recordset()

    def _signed(self, payments, key, seq=0, prev=""):
        events = []
        for payment in payments:
            seq += 1
            event = {
                "client_uuid": str(uuid.uuid4()),
                "seq": seq,
                "payment_id": payment["payment_id"],
                "amount": payment["amount"],
                "paid_at": "2026-12-01T09:30:00Z",
                "latitude": None,
                "longitude": None,
                "accuracy": None,
                "photo_sha256": hashlib.sha256(PHOTO).hexdigest(),
                "photo": base64.b64encode(PHOTO).decode(),
                "notes": "",
                "extra": {},
                "prev_hash": prev,
            }
            message = ppm.event_message(event)
            event["signature"] = ppm.sign_raw(key, message)
            prev = ppm.event_hash(message)
            events.append(event)
        return events

    def test_cash_payroll_from_grouping_to_closed_floats(self):
        parts = self.payroll.payroll_point_ids
        self.assertGreater(
            len(parts.filtered(lambda p: p.payment_point_id == self.point_north)), 1
        )
        self.assertTrue(all(p.amount_total <= 100.0 for p in parts))
        part = parts.sorted("amount_total")[-1]
        float_ = part.float_id
        self.assertEqual(float_.amount_issued, part.amount_total)

        service = self.env["spp.ppm.sync"].with_user(part.manager_id.user_id)
        manager = service._spp_manager()
        key = ec.generate_private_key(ec.SECP256R1())
        device_id = service._spp_enrol(manager, "Phone", ppm.public_spki_b64(key))[
            "device_id"
        ]
        device = self.env["spp.ppm.device"].browse(device_id)
        download = service._spp_download(manager, device)
        self.assertEqual(download["digest"], ppm.digest(download["payments"]))
        mine = [p for p in download["payments"] if p["float_id"] == float_.id]
        self.assertEqual(
            sorted(p["payment_id"] for p in mine), sorted(part.payment_ids.ids)
        )
        # Nothing of the other PPMs' parts reaches this device.
        self.assertEqual(
            {p["payment_id"] for p in download["payments"]},
            set(self.payroll.payment_ids.filtered(lambda p: p.ppm_id == manager).ids),
        )

        answer = service._spp_sync(
            manager, device.id, str(uuid.uuid4()), self._signed(mine, key)
        )
        self.assertEqual({r["verdict"] for r in answer["results"]}, {"accepted"})
        batch = self.env["spp.reconciliation"].browse(answer["batch"]["id"])
        with self.assertRaises(UserError):
            self.payroll.with_user(self.users["finance_officer"]).action_close()
        batch.with_user(self.users["finance_manager"]).action_approve()

        self.assertEqual(set(part.payment_ids.mapped("state")), {"paid"})
        float_.invalidate_recordset()
        self.assertEqual(
            Decimal(str(float_.amount_handed_out)), Decimal(str(float_.amount_issued))
        )
        self.assertTrue(float_.currency_id.is_zero(float_.variance))
        # The other floats' cash comes back unspent.
        finance = self.users["finance_officer"]
        for other in self.payroll.ppm_float_ids - float_:
            other.with_user(finance).amount_returned = other.amount_issued
        (self.payroll.ppm_float_ids).with_user(finance).action_close()
        self.payroll.with_user(finance).action_close()
        self.assertTrue(self.payroll.closed_date)
