# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib
import io
import uuid
from decimal import Decimal
from unittest.mock import patch

from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from odoo.exceptions import AccessError
from odoo.models import BaseModel
from odoo.tests import tagged

from ..models import spp_ppm_sync as sync_module
from ..models.spp_ppm_sync import PpmError
from .common import SppPpmCommon


@tagged("post_install", "-at_install")
class TestPpmSync(SppPpmCommon):
    """Rules 0-8 of the research note's conflict table, one sync at a time."""

    def test_accepted_sync_is_a_submitted_batch_the_checker_applies(self):
        first, second, third = self.payments[:3]
        events = [
            self._event(first),
            self._event(second, "20.00"),
            self._event(third, "0.00", photo=b""),
        ]
        answer = self._sync(events)
        self.assertEqual(
            self._verdicts(answer),
            [("accepted", ""), ("accepted", ""), ("accepted", "")],
        )
        batch = self._batch(answer)
        self.assertEqual(
            (batch.source, batch.approval_state, batch.ppm_id, batch.device_id),
            ("ppm", "submitted", self.manager, self.device),
        )
        self.assertEqual(batch.submitted_by_id, self.ppm_user)
        lines = batch.line_ids.sorted("device_seq")
        self.assertEqual(lines.mapped("outcome"), ["paid", "partial", "failed"])
        self.assertEqual([r["line_id"] for r in answer["results"]], lines.ids)
        # Photo: private attachment of the line, bytes as signed.
        photo = lines[0].photo_id
        self.assertEqual(
            (photo.res_model, photo.res_id, photo.public, photo.raw),
            ("spp.reconciliation.line", lines[0].id, False, self.photo),
        )
        self.assertEqual(lines[0].photo_sha256, events[0]["photo_sha256"])
        # Nothing moves before a Finance Manager accepts.
        self.assertEqual(set((first | second | third).mapped("state")), {"sent"})
        # The PPM is the maker: they cannot accept their own sync.
        with self.assertRaises(AccessError):
            batch.with_user(self.ppm_user).action_approve()
        batch.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(
            (first.state, second.state, third.state), ("paid", "paid", "failed")
        )
        self.assertEqual(second.paid_amount, 20.0)
        self.assertEqual(
            Decimal(str(self.float.amount_handed_out)),
            Decimal(str(first.amount)) + Decimal("20.00"),
        )
        self.assertEqual(
            Decimal(str(self.float.variance)),
            Decimal(1000) - Decimal(str(self.float.amount_handed_out)),
        )

    def test_replayed_batch_uuid_returns_the_first_answer(self):
        batch_uuid = str(uuid.uuid4())
        events = [self._event(self.payments[0])]
        first = self._sync(events, batch_uuid=batch_uuid)
        counts = self._counts()
        again = self._sync(events, batch_uuid=batch_uuid)
        self.assertEqual(again, first)
        self.assertEqual(self._counts(), counts)

    def test_resent_client_uuid_is_a_duplicate_and_creates_nothing(self):
        event = self._event(self.payments[0])
        first = self._sync([event])
        lines = self.env["spp.reconciliation.line"].search_count([])
        again = self._sync([event])
        self.assertEqual(
            again["results"],
            [
                {
                    "client_uuid": event["client_uuid"],
                    "verdict": "duplicate",
                    "reason": "accepted",
                    "line_id": first["results"][0]["line_id"],
                }
            ],
        )
        self.assertEqual(self.env["spp.reconciliation.line"].search_count([]), lines)

    def test_same_payment_with_another_uuid_is_a_double_entry(self):
        payment = self.payments[0]
        self._sync([self._event(payment)])
        answer = self._sync([self._event(payment), self._event(self.payments[1])])
        self.assertEqual(
            self._verdicts(answer), [("exception", "double_entry"), ("accepted", "")]
        )
        line = self._batch(answer).line_ids.filtered(
            lambda line: line.exception_reason == "double_entry"
        )
        self.assertEqual(line.outcome, "skipped")
        # Within one sync too.
        answer = self._sync([self._event(self.payments[2])] * 1)
        twice = self._sync(
            [self._event(self.payments[3]), self._event(self.payments[3])]
        )
        self.assertEqual(answer["results"][0]["verdict"], "accepted")
        self.assertEqual(
            self._verdicts(twice), [("accepted", ""), ("exception", "double_entry")]
        )

    def test_payment_of_another_ppm_or_unknown_is_refused_as_not_assigned(self):
        brians = self.payments[-1]
        answer = self._sync([self._event(brians), self._event(999999999, "10.00")])
        self.assertEqual(
            self._verdicts(answer),
            [("refused", "not_assigned"), ("refused", "not_assigned")],
        )
        self.assertFalse(self._batch(answer).line_ids)
        # Kept as evidence, with its photo.
        event = self.env["spp.ppm.event"].search(
            [("client_uuid", "=", answer["results"][0]["client_uuid"])]
        )
        self.assertEqual((event.verdict, event.payment_ref), ("refused", brians.id))
        photo = self.env["ir.attachment"].search(
            [("res_model", "=", "spp.ppm.event"), ("res_id", "=", event.id)]
        )
        self.assertEqual(photo.raw, self.photo)

    def test_paid_elsewhere_is_a_suspected_double_payment(self):
        payment = self.payments[0]
        payment._set_paid(reason="bank file")
        answer = self._sync([self._event(payment)])
        self.assertEqual(self._verdicts(answer), [("exception", "paid_elsewhere")])
        batch = self._batch(answer)
        self.assertEqual(batch.line_ids.outcome, "double")
        batch.with_user(self.users["finance_manager"]).action_approve()
        overpayment = self.env["spp.payment.overpayment"].search(
            [("payment_id", "=", payment.id)]
        )
        self.assertEqual(
            (overpayment.source, overpayment.kind), ("payment_point", "double")
        )
        self.assertEqual(payment.state, "paid")
        self.assertEqual(self.float.amount_handed_out, 0)

    def test_cancelled_after_download_is_flagged_evidence(self):
        payment = self.payments[0]
        payment._set_rejected(reason="moved away")
        answer = self._sync([self._event(payment)])
        self.assertEqual(
            self._verdicts(answer), [("exception", "cancelled_after_download")]
        )
        self.assertEqual(payment.state, "rejected")

    def test_amounts_above_issued_are_refused_and_malformed_ones_too(self):
        payment = self.payments[0]
        answer = self._sync(
            [
                self._event(payment, "9999.00"),
                self._event(self.payments[1], "1.005"),
                self._event(self.payments[2], "-1.00"),
            ]
        )
        self.assertEqual(
            self._verdicts(answer),
            [
                ("refused", "overpaid"),
                ("refused", "bad_amount"),
                ("refused", "bad_amount"),
            ],
        )

    def test_over_the_float_that_event_and_later_ones_are_exceptions(self):
        # Three payments fit, a fourth (50.70 or more) does not.
        self.float.amount_issued = sum(self.payments[:3].mapped("amount")) + 10
        events = [self._event(p) for p in self.payments[:5]]
        verdicts = self._verdicts(self._sync(events))
        self.assertEqual(verdicts[:3], [("accepted", "")] * 3)
        self.assertEqual(verdicts[3:], [("exception", "over_float")] * 2)
        later = self._sync([self._event(self.payments[5], "1.00")])
        self.assertEqual(self._verdicts(later), [("exception", "over_float")])

    def test_missing_or_mismatched_photo_is_evidence_pending(self):
        missing = self._event(self.payments[0], photo=b"")
        other = self._event(self.payments[1], photo_sha256="00" * 32)
        not_image = self._event(self.payments[2], photo=b"<svg/>")
        answer = self._sync([missing, other, not_image])
        self.assertEqual(
            self._verdicts(answer), [("exception", "evidence_pending")] * 3
        )
        self.assertEqual(
            set(self._batch(answer).line_ids.mapped("outcome")), {"skipped"}
        )

    def test_photo_above_the_cap_is_not_stored_and_evidence_pending(self):
        with patch.object(sync_module, "MAX_PHOTO_BYTES", 100):
            answer = self._sync([self._event(self.payments[0])])
        self.assertEqual(self._verdicts(answer), [("exception", "evidence_pending")])
        line = self._batch(answer).line_ids
        self.assertFalse(line.photo_id)
        self.assertFalse(
            self.env["ir.attachment"].search_count(
                [("res_model", "in", ("spp.reconciliation.line", "spp.ppm.event"))]
            )
        )

    def test_large_photo_is_stored_byte_for_byte(self):
        # Wider than base.image_autoresize_max_px: Odoo would re-encode it.
        buffer = io.BytesIO()
        Image.new("RGB", (2400, 16), (200, 30, 30)).save(buffer, "JPEG", quality=95)
        photo = buffer.getvalue()
        answer = self._sync([self._event(self.payments[0], photo=photo)])
        self.assertEqual(self._verdicts(answer), [("accepted", "")])
        stored = self._batch(answer).line_ids.photo_id
        self.assertEqual(stored.raw, photo)
        self.assertEqual(
            hashlib.sha256(stored.raw).hexdigest(),
            self._batch(answer).line_ids.photo_sha256,
        )

    def test_gps_outside_the_radius_is_flagged(self):
        far = self._event(self.payments[0], latitude=-1.30, accuracy=50)
        near = self._event(self.payments[1], latitude=-1.2845, accuracy=50)
        answer = self._sync([far, near])
        self.assertEqual(
            self._verdicts(answer),
            [("accepted", "gps_outside_radius"), ("accepted", "")],
        )
        line = self._batch(answer).line_ids.filtered(lambda line: line.device_seq == 1)
        self.assertEqual(line.ppm_flags, "gps_outside_radius")

    def test_paid_at_outside_the_cycle_or_in_the_future(self):
        answer = self._sync(
            [
                self._event(self.payments[0], paid_at="2026-10-15T09:00:00Z"),
                self._event(self.payments[1], paid_at="2099-01-01T00:00:00Z"),
                self._event(self.payments[2], paid_at="2026-11-20 09:00"),
            ]
        )
        self.assertEqual(
            self._verdicts(answer),
            [
                ("exception", "outside_window"),
                ("refused", "paid_at_future"),
                ("refused", "bad_paid_at"),
            ],
        )

    def test_closed_float_is_cycle_closed(self):
        self.float.state = "closed"
        answer = self._sync([self._event(self.payments[0])])
        self.assertEqual(self._verdicts(answer), [("refused", "cycle_closed")])

    def test_bad_signature_is_refused_and_does_not_advance_the_chain(self):
        event = self._event(self.payments[0])
        forged = dict(event, amount="10.00")
        answer = self._sync([forged])
        self.assertEqual(self._verdicts(answer), [("refused", "bad_signature")])
        self.assertEqual(self.device.last_seq, 0)
        # The genuine event still fits the chain.
        answer = self._sync([event])
        self.assertEqual(self._verdicts(answer), [("accepted", "")])
        self.assertEqual(self.device.last_seq, 1)

    def test_another_devices_key_is_a_bad_signature(self):
        other = ec.generate_private_key(ec.SECP256R1())
        answer = self._sync([self._event(self.payments[0], key=other)])
        self.assertEqual(self._verdicts(answer), [("refused", "bad_signature")])

    def test_seq_gap_and_broken_chain_are_refused_and_flagged(self):
        first = self._event(self.payments[0])
        self._event(self.payments[1])  # made on the device, never sent: deleted
        third = self._event(self.payments[2])
        answer = self._sync([first, third])
        self.assertEqual(
            self._verdicts(answer), [("accepted", ""), ("refused", "seq_gap")]
        )
        self.assertTrue(self.device.chain_broken)
        self.assertEqual(self.device.last_seq, 1)
        self.chain[self.device.id] = (1, "ff" * 32)
        broken = self._event(self.payments[3])
        answer = self._sync([broken])
        self.assertEqual(self._verdicts(answer), [("refused", "chain_broken")])

    def test_a_checker_resumes_a_broken_chain_after_the_gap(self):
        self._event(self.payments[0])  # lost on the device
        second = self._event(self.payments[1])
        third = self._event(self.payments[2])
        self.assertEqual(
            self._verdicts(self._sync([second, third])),
            [("refused", "seq_gap"), ("refused", "seq_gap")],
        )
        self.device.with_user(self.users["finance_manager"]).action_resume_chain()
        self.assertFalse(self.device.chain_broken)
        answer = self._sync([second, third])
        self.assertEqual(self._verdicts(answer), [("accepted", "")] * 2)
        self.assertEqual(self.device.last_seq, 3)

    def test_resending_only_synced_events_creates_nothing(self):
        events = [self._event(self.payments[0]), self._event(self.payments[1])]
        first = self._sync(events)
        counts = self._counts()
        again = self._sync(events)
        self.assertEqual(self._counts(), counts)
        self.assertEqual(again["batch"], first["batch"])
        self.assertEqual(
            [r["verdict"] for r in again["results"]], ["duplicate", "duplicate"]
        )

    def test_revoked_or_foreign_device_is_refused_whole(self):
        event = self._event(self.payments[0])
        brians = self._device(self.manager2, self.key, "Brian's")
        with self.assertRaises(PpmError) as caught:
            self._sync([event], device=brians, user=self.ppm_user)
        self.assertEqual(caught.exception.code, "device_unknown")
        self.device.with_user(self.users["finance_manager"]).action_revoke()
        with self.assertRaises(PpmError) as caught:
            self._sync([event])
        self.assertEqual(caught.exception.code, "device_revoked")
        self.assertFalse(
            self.env["spp.reconciliation"].search([("source", "=", "ppm")])
        )

    def test_rejected_batch_frees_its_events_to_sync_again(self):
        events = [self._event(self.payments[0]), self._event(self.payments[1])]
        first = self._batch(self._sync(events))
        photo = first.line_ids[0].photo_id
        first.with_user(self.users["finance_manager"]).action_reject(
            reason="photos unclear"
        )
        self.assertFalse(first.line_ids)
        # The photos stay, as evidence of the events.
        self.assertEqual(photo.res_model, "spp.ppm.event")
        again = self._sync(events)
        self.assertEqual(self._verdicts(again), [("accepted", "")] * 2)
        second = self._batch(again)
        self.assertNotEqual(second, first)
        self.assertEqual(len(second.line_ids), 2)
        second.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(set(self.payments[:2].mapped("state")), {"paid"})

    def test_manager_not_approved_or_user_not_ppm_is_refused(self):
        service = self.env["spp.ppm.sync"]
        with self.assertRaises(PpmError):
            service.with_user(self.users["finance_manager"])._spp_manager()
        self.assertEqual(service.with_user(self.ppm_user)._spp_manager(), self.manager)
        # A manager record is not enough: the user must be in the PPM group...
        group = self.env.ref("spp_payment_point.group_spp_ppm")
        group.user_ids = [(3, self.ppm_user.id)]
        with self.assertRaises(PpmError):
            service.with_user(self.ppm_user)._spp_manager()
        group.user_ids = [(4, self.ppm_user.id)]
        # ... and the record active and approved.
        self.manager._spp_write_approval({"state": "suspended"})
        with self.assertRaises(PpmError):
            service.with_user(self.ppm_user)._spp_manager()
        self.manager._spp_write_approval({"state": "active"})
        self.manager.sudo()._spp_write_approval({"approval_state": "draft"})
        with self.assertRaises(PpmError):
            service.with_user(self.ppm_user)._spp_manager()

    def test_download_lists_own_open_float_payments_with_their_digest(self):
        service = self.env["spp.ppm.sync"].with_user(self.ppm_user)
        answer = service._spp_download(self.manager, self.device)
        self.assertEqual(
            [p["payment_id"] for p in answer["payments"]], self.payments[:-1].ids
        )
        self.assertEqual([f["id"] for f in answer["floats"]], self.float.ids)
        self.assertEqual(answer["floats"][0]["amount_left"], "1000.00")
        from spp_payment_core import ppm

        self.assertEqual(answer["digest"], ppm.digest(answer["payments"]))
        self._sync([self._event(self.payments[0], "20.00")])
        answer = service._spp_download(self.manager, self.device)
        self.assertEqual(answer["floats"][0]["amount_left"], "980.00")
        self.float.state = "closed"
        answer = service._spp_download(self.manager, self.device)
        self.assertEqual(answer["payments"], [])

    def test_payments_and_float_are_locked_for_the_sync(self):
        locked = []
        original = BaseModel.lock_for_update

        def spy(records, **kw):
            locked.append((records._name, set(records.ids)))
            return original(records, **kw)

        with patch.object(BaseModel, "lock_for_update", spy):
            self._sync([self._event(self.payments[0])])
        self.assertIn(("spp.payment", {self.payments[0].id}), locked)
        self.assertIn(("spp.ppm.float", {self.float.id}), locked)
        self.assertIn(("spp.ppm.device", {self.device.id}), locked)

    def _counts(self):
        return tuple(
            self.env[model].search_count([])
            for model in (
                "spp.reconciliation",
                "spp.reconciliation.line",
                "spp.ppm.event",
                "ir.attachment",
            )
        )
