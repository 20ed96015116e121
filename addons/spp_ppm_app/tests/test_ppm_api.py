# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import uuid

from cryptography.hazmat.primitives.asymmetric import ec
from spp_payment_core import ppm

from odoo.tests import HttpCase, tagged

from .common import SppPpmCommon


@tagged("post_install", "-at_install")
class TestPpmApi(SppPpmCommon, HttpCase):
    """The routes over HTTP, as the browser app calls them: JSON-RPC with the
    session cookie of a portal PPM."""

    def _call(self, route, params, raw=None):
        body = (
            raw
            if raw is not None
            else json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
            )
        )
        response = self.url_open(
            f"/ppm/api/{route}",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        return response

    def _ok(self, route, params):
        response = self._call(route, params)
        self.assertEqual(response.status_code, 200, response.text)
        payload = response.json()
        self.assertNotIn("error", payload, payload)
        return payload["result"]

    def _refused(self, route, params, status, code):
        response = self._call(route, params)
        self.assertEqual(response.status_code, status, response.text)
        payload = response.json()
        self.assertEqual(payload["error"]["data"]["name"], code)
        self.assertNotIn("Traceback", response.text)
        return payload

    def test_portal_ppm_enrols_downloads_and_syncs(self):
        self.authenticate("ppm_amina", "ppm_amina")
        key = ec.generate_private_key(ec.SECP256R1())
        enrolled = self._ok(
            "enrol", {"name": "Pixel 7", "public_key": ppm.public_spki_b64(key)}
        )
        device = self.env["spp.ppm.device"].browse(enrolled["device_id"])
        self.assertEqual(
            (device.manager_id, enrolled["name"]), (self.manager, "Pixel 7")
        )
        download = self._ok("download", {"device_id": device.id})
        self.assertEqual(
            [p["payment_id"] for p in download["payments"]], self.payments[:-1].ids
        )
        self.assertEqual(download["digest"], ppm.digest(download["payments"]))
        event = self._event(self.payments[0], device=device, key=key)
        answer = self._ok(
            "sync",
            {
                "device_id": device.id,
                "batch_uuid": str(uuid.uuid4()),
                "device_time": "2026-11-20T10:00:00Z",
                "events": [event],
            },
        )
        self.assertEqual(answer["results"][0]["verdict"], "accepted")
        self.assertEqual(answer["batch"]["state"], "submitted")
        self.assertTrue(answer["batch"]["name"].startswith("PPM/"))

    def test_internal_user_who_is_no_ppm_is_refused(self):
        self.authenticate("spp_finance_manager", "spp_finance_manager")
        self._refused("download", {"device_id": self.device.id}, 403, "not_ppm")
        self._refused(
            "enrol",
            {"name": "x", "public_key": ppm.public_spki_b64(self.key)},
            403,
            "not_ppm",
        )
        self.assertEqual(self.env["spp.ppm.device"].search_count([]), 1)

    def test_another_ppms_payments_are_invisible(self):
        self.authenticate("ppm_brian", "ppm_brian")
        key = ec.generate_private_key(ec.SECP256R1())
        device = self._device(self.manager2, key)
        download = self._ok("download", {"device_id": device.id})
        self.assertEqual(
            [p["payment_id"] for p in download["payments"]], self.payments[-1:].ids
        )
        self.assertEqual([f["id"] for f in download["floats"]], self.float2.ids)
        # Amina's device is not Brian's to use, nor her payments to report.
        self._refused("download", {"device_id": self.device.id}, 403, "device_unknown")
        answer = self._ok(
            "sync",
            {
                "device_id": device.id,
                "batch_uuid": str(uuid.uuid4()),
                "events": [self._event(self.payments[0], device=device, key=key)],
            },
        )
        self.assertEqual(
            (answer["results"][0]["verdict"], answer["results"][0]["reason"]),
            ("refused", "not_assigned"),
        )

    def test_revoked_device_is_refused(self):
        self.device.with_user(self.users["finance_manager"]).action_revoke()
        self.authenticate("ppm_amina", "ppm_amina")
        self._refused("download", {"device_id": self.device.id}, 403, "device_revoked")
        self._refused(
            "sync",
            {
                "device_id": self.device.id,
                "batch_uuid": str(uuid.uuid4()),
                "events": [self._event(self.payments[0])],
            },
            403,
            "device_revoked",
        )
        self.assertFalse(
            self.env["spp.reconciliation"].search([("source", "=", "ppm")])
        )

    def test_bad_signature_is_refused(self):
        self.authenticate("ppm_amina", "ppm_amina")
        event = dict(self._event(self.payments[0]), amount="1.00")
        answer = self._ok(
            "sync",
            {
                "device_id": self.device.id,
                "batch_uuid": str(uuid.uuid4()),
                "events": [event],
            },
        )
        self.assertEqual(
            (answer["results"][0]["verdict"], answer["results"][0]["reason"]),
            ("refused", "bad_signature"),
        )
        self.assertFalse(self._batch(answer).line_ids)

    def test_malformed_requests_get_a_4xx_json_error(self):
        self.authenticate("ppm_amina", "ppm_amina")
        payload = self._refused(
            "sync",
            {"device_id": self.device.id, "batch_uuid": "x", "events": "nope"},
            400,
            "bad_request",
        )
        self.assertIn("batch_uuid", payload["error"]["message"])
        self._refused(
            "sync",
            {
                "device_id": self.device.id,
                "batch_uuid": str(uuid.uuid4()),
                "events": [{"client_uuid": str(uuid.uuid4()), "seq": "1"}],
            },
            400,
            "bad_request",
        )
        self._refused("download", {"device_id": "12"}, 400, "bad_request")
        self._refused(
            "enrol", {"name": "x", "public_key": "bm9wZQ=="}, 400, "bad_request"
        )
        # Not JSON at all: Odoo's own 400, no traceback.
        response = self._call("sync", None, raw="{not json")
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("Traceback", response.text)
