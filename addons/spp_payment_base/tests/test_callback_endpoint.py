# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestCallbackEndpoint(HttpCase):
    """The callback URL authenticates the FSP, records what it receives, and
    refuses what it cannot trust without changing anything."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fsp = cls.env["spp.fsp"].create(
            {"name": "Manual", "provider": "manual", "state": "enabled"}
        )

    def _post(self, secret, body):
        return self.url_open(
            f"/spp_payment/callback/manual/{secret}",
            data=body,
            headers={"Content-Type": "application/json"},
        )

    def _callbacks(self):
        return self.env["spp.payment.callback"].search([("fsp_id", "=", self.fsp.id)])

    @mute_logger("odoo.addons.spp_payment_base.models.spp_payment_callback")
    def test_unknown_secret_is_refused_and_not_recorded(self):
        with self.assertLogs(
            "odoo.addons.spp_payment_base.models.spp_payment_callback", "WARNING"
        ) as logs:
            response = self._post("not-the-secret", b"{}")
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self._callbacks())
        self.assertNotIn(self.fsp.callback_secret, "".join(logs.output))

    @mute_logger("odoo.addons.spp_payment_base.models.spp_payment_callback")
    def test_malformed_callback_is_recorded_refused_and_logged(self):
        with self.assertLogs(
            "odoo.addons.spp_payment_base.models.spp_payment_callback", "WARNING"
        ) as logs:
            response = self._post(self.fsp.callback_secret, b"<not json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._callbacks().state, "refused")
        self.assertIn("not JSON", self._callbacks().result)
        self.assertNotIn(self.fsp.callback_secret, "".join(logs.output))

    @mute_logger("odoo.addons.spp_payment_base.models.spp_payment_callback")
    def test_provider_without_callbacks_refuses_them(self):
        response = self._post(self.fsp.callback_secret, b'{"status": "paid"}')
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._callbacks().state, "refused")
        self.assertIn("sends no callbacks", self._callbacks().result)
