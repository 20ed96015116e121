# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import callbacks

from odoo.tools import mute_logger

from .common import SppBaseCommon

CALLBACK_LOGGER = "odoo.addons.spp_payment_base.models.spp_payment_callback"
# A manual FSP has nothing to apply: an authenticated callback gets 400 ("sends
# no callbacks"), a refused one 401 (signature), 403 (disabled, source) or 404.
AUTHENTIC = 400


class TestCallbackCache(SppBaseCommon):
    """The callback entry point finds the FSP of a callback URL in its worker
    process's cache, never stale: a new callback ID, a new secret, disabling
    or archiving the FSP clears it."""

    def _lookup(self, public_id=None):
        return self.env["spp.fsp"]._spp_callback_fsp(
            public_id or self.fsp.callback_public_id
        )

    def _receive(self, body=b'{"status": "paid"}', secret=None, public_id=None):
        secret = secret or self.fsp.sudo().callback_secret
        header = {callbacks.SIGNATURE_HEADER.lower(): callbacks.sign(secret, body)}
        with mute_logger(CALLBACK_LOGGER):
            return self.env["spp.payment.callback"]._spp_receive(
                public_id or self.fsp.callback_public_id, body, header, "127.0.0.1"
            )[0]

    def test_lookup_is_cached(self):
        self.assertEqual(self._lookup()["id"], self.fsp.id)
        with self.assertQueryCount(0):
            self.assertEqual(self._lookup()["id"], self.fsp.id)

    def test_new_callback_id_clears_the_cache(self):
        old = self.fsp.callback_public_id
        self.assertTrue(self._lookup(old))
        self.fsp.sudo().callback_public_id = "0123456789abcdef"
        self.assertIsNone(self._lookup(old))
        self.assertEqual(self._lookup("0123456789abcdef")["id"], self.fsp.id)
        self.assertEqual(self._receive(public_id=old), 404)

    def test_new_secret_clears_the_cache(self):
        old = self.fsp.sudo().callback_secret
        self.assertEqual(self._receive(), AUTHENTIC)
        self._lookup()
        self.fsp.sudo().action_rotate_callback_secret()
        with self.assertQueryCount(1):  # looked up again
            self._lookup()
        self.assertEqual(self._receive(secret=old), 401)
        self.assertEqual(self._receive(b'{"status": "failed"}'), AUTHENTIC)

    def test_disabled_or_archived_fsp_refuses_at_once(self):
        self.assertTrue(self._lookup()["usable"])
        self.assertEqual(self._receive(), AUTHENTIC)
        self.fsp.sudo().state = "disabled"
        self.assertFalse(self._lookup()["usable"])
        self.assertEqual(self._receive(b'{"status": "failed"}'), 403)
        self.fsp.sudo().state = "enabled"
        self.assertEqual(self._receive(b'{"status": "failed"}'), AUTHENTIC)
        self.fsp.sudo().active = False
        self.assertEqual(self._receive(b'{"status": "processing"}'), 403)

    def test_allow_list_change_clears_the_cache(self):
        self.assertEqual(self._receive(), AUTHENTIC)
        self.fsp.sudo().callback_allowed_ips = "10.0.0.0/8"
        self.assertEqual(self._receive(b'{"status": "failed"}'), 403)
