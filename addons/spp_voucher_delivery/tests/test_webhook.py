# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from spp_payment_core import callbacks

from odoo.tests import tagged

from odoo.addons.spp_payment_base.tests.common import server_log

from .common import APP_SECRET, SMS_KEY, TOKEN, SppDeliveryCommon


@tagged("post_install", "-at_install")
class TestWebhook(SppDeliveryCommon):
    def _sent(self):
        delivery = self._send(self.vouchers[:1], self.whatsapp)
        self.wa_sim.callbacks.clear()
        return delivery

    def _post(self, body, signature=None, sign=True):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if sign:
            headers["X-Hub-Signature-256"] = signature or callbacks.sign(
                APP_SECRET, raw
            )
        return self.url_open(self.wa_sim.webhook_url, data=raw, headers=headers)

    def _assert_quiet(self, lines):
        for line in lines:
            self.assertNotRegex(line, r" (WARNING|ERROR|CRITICAL) |Traceback")

    def test_signed_status_moves_forward_only(self):
        delivery = self._sent()
        body = self.wa_sim.status_body(delivery.message_id, "read", "x")
        self.assertEqual(self._post(body).status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(delivery.state, "read")
        late = self.wa_sim.status_body(delivery.message_id, "delivered", "x")
        self.assertEqual(self._post(late).status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(delivery.state, "read")

    def test_failed_status_after_sent(self):
        self._set_phone(self.vouchers[0], "0008")
        delivery = self._send(self.vouchers[:1], self.whatsapp)
        self.assertEqual(delivery.state, "sent")
        self.assertEqual(self.wa_sim.flush(), [200])
        self.env.invalidate_all()
        self.assertEqual(delivery.state, "failed")
        self.assertIn("131026", delivery.error)

    def test_bad_signatures_are_refused_quietly(self):
        delivery = self._sent()
        body = self.wa_sim.status_body(delivery.message_id, "delivered", "x")
        raw = json.dumps(body).encode()
        for signature, sign in (
            (None, False),
            (callbacks.sign("guess", raw), True),
            (APP_SECRET, True),
            ("sha256=é" + "0" * 63, True),
            (callbacks.sign(APP_SECRET, raw + b" "), True),
        ):
            with server_log() as lines:
                response = self._post(raw, signature, sign=sign)
            self.assertEqual(response.status_code, 401)
            self._assert_quiet(lines)
        self.env.invalidate_all()
        self.assertEqual(delivery.state, "sent")

    def test_malformed_and_unknown(self):
        with server_log() as lines:
            self.assertEqual(self._post(b"<not json").status_code, 400)
            self.assertEqual(
                self._post(
                    {
                        "entry": [
                            {
                                "changes": [
                                    {
                                        "value": {
                                            "statuses": [
                                                {"id": "x", "status": "exploded"}
                                            ]
                                        }
                                    }
                                ]
                            }
                        ]
                    }
                ).status_code,
                400,
            )
            url = self.wa_sim.webhook_url.rsplit("/", 1)[0] + "/nosuchprovider"
            self.assertEqual(self.url_open(url, data=b"{}").status_code, 404)
            self.assertEqual(
                self.url_open(self.wa_sim.webhook_url + "x", data=b"{}").status_code,
                404,
            )
        self._assert_quiet(lines)

    def test_verify_token_handshake(self):
        token = self.whatsapp.verify_token
        ok = self.url_open(
            f"{self.wa_sim.webhook_url}?hub.mode=subscribe&hub.verify_token={token}"
            "&hub.challenge=1158201444"
        )
        self.assertEqual((ok.status_code, ok.text), (200, "1158201444"))
        with server_log() as lines:
            bad = self.url_open(
                f"{self.wa_sim.webhook_url}?hub.mode=subscribe&hub.verify_token=guess"
                "&hub.challenge=1158201444"
            )
        self.assertEqual(bad.status_code, 403)
        self.assertNotIn("1158201444", bad.text)
        self._assert_quiet(lines)

    def test_request_log_holds_no_secret(self):
        """Odoo's log while sending (WhatsApp and SMS, good and refused) and
        receiving webhooks (good and bad): no token, app secret, verify token
        or voucher code in it."""
        self._set_phone(self.vouchers[1], "0009")
        with server_log() as lines:
            self._send(self.vouchers[:2], self.whatsapp)
            self._send(self.vouchers[2:4], self.sms)
            self.wa_sim.flush()
            self._post(b"{}", callbacks.sign("guess", b"{}"))
            self.url_open(
                f"{self.wa_sim.webhook_url}?hub.mode=subscribe&hub.verify_token=guess"
            )
        log = "\n".join(lines)
        self.assertIn(
            "/spp_voucher_delivery/whatsapp/", log
        )  # the request log was read
        codes = [c for c, _t in self.vouchers[:4]._spp_card_secrets().values()]
        for secret in [TOKEN, APP_SECRET, SMS_KEY, self.whatsapp.verify_token, *codes]:
            self.assertNotIn(secret, log)
        self.assertNotIn("Traceback", log)
        # Nor in what the deliveries keep.
        kept = " ".join(
            str(v)
            for d in self._deliveries(self.vouchers)
            for v in d.read()[0].values()
        )
        for secret in [TOKEN, *codes]:
            self.assertNotIn(secret, kept)
