# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import hashlib
import uuid

from cryptography.hazmat.primitives.asymmetric import ec
from spp_payment_core import ppm

from odoo.tests import new_test_user
from odoo.tools import SQL

from odoo.addons.spp_approval.tools import guarded_write
from odoo.addons.spp_payroll.tests.common import SppPayrollCommon
from odoo.addons.spp_payroll_ppm.models.spp_payroll_point import FLOAT_GUARD

PPM_GROUPS = "base.group_portal,spp_payment_point.group_spp_ppm"
PAID_AT = "2026-11-20T09:12:03Z"
POINT = (-1.28, 36.8)


class SppPpmCommon(SppPayrollCommon):
    """An approved payroll whose payments (50.70 or 60.70 each) were sent
    through a cash FSP and grouped for one PPM at one payment point, with an
    open float of 1,000 for them, and a second PPM with one payment and a
    float of their own (shaped as spp_payment_point and spp_payroll_ppm
    define them)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cash_fsp = cls.env["spp.fsp"].create(
            {"name": "Cash at points", "provider": "cash", "state": "enabled"}
        )
        cls._fund(cls.cash_fsp)
        for n in (6, 7):
            cls.members |= cls.env["spp.program.membership"].create(
                {
                    "program_id": cls.program.id,
                    "partner_id": cls._create_household(f"HH-{n:04d}").id,
                }
            )
        (cls.members | cls.cash_member).write({"fsp_id": cls.cash_fsp.id})
        cls.payroll = cls._approved_payroll()
        cls.payments = cls.payroll.payment_ids.sorted("id")
        assert len(cls.payments) >= 7, "fixture needs six payments for Amina"
        cls.point = cls.env["spp.payment.point"].create(
            {
                "name": "Market square",
                "code": "PP-001",
                "latitude": POINT[0],
                "longitude": POINT[1],
                "radius_m": 500,
            }
        )
        cls.ppm_user = new_test_user(cls.env, login="ppm_amina", groups=PPM_GROUPS)
        cls.ppm_user2 = new_test_user(cls.env, login="ppm_brian", groups=PPM_GROUPS)
        cls.manager = cls._manager(cls.ppm_user, "Amina")
        cls.manager2 = cls._manager(cls.ppm_user2, "Brian")
        cls.part, cls.float = cls._part(cls.manager, 1, 1000)
        cls.part2, cls.float2 = cls._part(cls.manager2, 2, 1000)
        # The last payment is Brian's, all the others Amina's.
        cls._assign(cls.payments[:-1], cls.part)
        cls._assign(cls.payments[-1:], cls.part2)
        cls.payments._set_queued()
        cls.payments._set_sent()
        cls.key = ec.generate_private_key(ec.SECP256R1())
        cls.device = cls._device(cls.manager, cls.key)
        cls.photo = b"\xff\xd8\xff\xe0" + b"JPEG test photo " * 64

    @classmethod
    def _manager(cls, user, name):
        manager = cls.env["spp.payment.point.manager"].create(
            {"name": name, "user_id": user.id, "point_ids": [(4, cls.point.id)]}
        )
        manager._spp_write_approval({"approval_state": "approved"})
        return manager

    @classmethod
    def _part(cls, manager, part_no, issued):
        """A part and its float as the grouping and the execution write them
        (under their guard); TestPpmEndToEnd takes the real way."""
        with guarded_write(FLOAT_GUARD):
            return cls._write_part(manager, part_no, issued)

    @classmethod
    def _write_part(cls, manager, part_no, issued):
        part = cls.env["spp.payroll.point"].create(
            {
                "payroll_id": cls.payroll.id,
                "payment_point_id": cls.point.id,
                "part_no": part_no,
                "manager_id": manager.id,
            }
        )
        float_ = cls.env["spp.ppm.float"].create(
            {
                "name": f"Float {part_no}",
                "manager_id": manager.id,
                "cycle_id": cls.cycle.id,
                "payroll_id": cls.payroll.id,
                "payroll_point_id": part.id,
                "payment_point_id": cls.point.id,
                "amount_issued": issued,
            }
        )
        part.float_id = float_
        return part, float_

    @classmethod
    def _assign(cls, payments, part):
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE spp_payment SET payroll_point_id = %s, payment_point_id = %s, "
                "ppm_id = %s WHERE id = ANY(%s)",
                part.id,
                part.payment_point_id.id,
                part.manager_id.id,
                payments.ids,
            )
        )
        payments.invalidate_recordset()

    @classmethod
    def _device(cls, manager, key, name="Phone"):
        return cls.env["spp.ppm.device"].create(
            {
                "name": name,
                "manager_id": manager.id,
                "public_key": ppm.public_spki_b64(key),
            }
        )

    # Events --------------------------------------------------------------

    def setUp(self):
        super().setUp()
        self.chain = {}  # device id -> (seq, hash) the test's device is at

    def _event(self, payment, amount=None, device=None, key=None, **changes):
        """A signed event continuing ``device``'s chain, as the app makes it."""
        device = device or self.device
        key = key or self.key
        seq, prev = self.chain.get(device.id, (0, ""))
        photo = changes.pop("photo", self.photo)
        event = {
            "client_uuid": str(uuid.uuid4()),
            "seq": seq + 1,
            "payment_id": payment if isinstance(payment, int) else payment.id,
            "amount": amount
            if amount is not None
            else f"{payment.amount:.{payment.currency_id.decimal_places}f}",
            "paid_at": PAID_AT,
            "latitude": -1.2801,
            "longitude": 36.8001,
            "accuracy": 12.0,
            "photo_sha256": hashlib.sha256(photo or b"").hexdigest(),
            "photo": base64.b64encode(photo).decode() if photo else "",
            "notes": "",
            "extra": {},
            "prev_hash": prev,
        }
        event.update(changes)
        message = ppm.event_message(event)
        event["signature"] = ppm.sign_raw(key, message)
        self.chain[device.id] = (event["seq"], ppm.event_hash(message))
        return event

    def _sync(self, events, device=None, user=None, batch_uuid=None):
        device = device or self.device
        user = user or device.user_id
        service = self.env["spp.ppm.sync"].with_user(user)
        manager = service._spp_manager()
        return service._spp_sync(
            manager, device.id, batch_uuid or str(uuid.uuid4()), events
        )

    def _verdicts(self, answer):
        return [(r["verdict"], r["reason"]) for r in answer["results"]]

    def _batch(self, answer):
        return self.env["spp.reconciliation"].browse(answer["batch"]["id"])
