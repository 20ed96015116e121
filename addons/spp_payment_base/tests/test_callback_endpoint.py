# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

from spp_payment_core import callbacks

from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import server_log

CALLBACK_LOGGER = "odoo.addons.spp_payment_base.models.spp_payment_callback"


@tagged("post_install", "-at_install")
class TestCallbackEndpoint(HttpCase):
    """Callbacks over real HTTP: the URL names the FSP without a secret, the
    body's HMAC authenticates it, and whatever cannot be trusted gets a 4xx,
    a record in the inbox and an INFO line, never a traceback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fsp = cls.env["spp.fsp"].create(
            {"name": "Manual", "provider": "manual", "state": "enabled"}
        )
        cls.other = cls.env["spp.fsp"].create(
            {"name": "Other", "provider": "manual", "state": "test"}
        )
        cls.secret = cls.fsp.sudo().callback_secret

    def _url(self, fsp=None, kind=""):
        url = (fsp or self.fsp)._spp_callback_url(kind)
        return url.replace(url.split("/spp_payment/")[0], self.base_url())

    def _post(self, body, headers=None, url=None, method="POST", sign=True):
        headers = {"Content-Type": "application/json", **(headers or {})}
        if sign:
            headers[callbacks.SIGNATURE_HEADER] = callbacks.sign(self.secret, body)
        return self.url_open(
            url or self._url(), data=body, headers=headers, method=method
        )

    def _callbacks(self, fsp=None):
        return self.env["spp.payment.callback"].search(
            [("fsp_id", "=", (fsp or self.fsp).id)]
        )

    def _last(self):
        return self._callbacks()[:1]

    def _assert_quiet(self, lines):
        """A refusal is an INFO line: nothing at WARNING or above, no
        traceback, and the request was logged."""
        self.assertTrue(any("werkzeug INFO" in line for line in lines), lines)
        for line in lines:
            self.assertNotRegex(line, r" (WARNING|ERROR|CRITICAL) |Traceback")

    def test_request_log_holds_no_secret(self):
        """Odoo's own request log after real callbacks, good and bad, to every
        URL an FSP is given: not one of the secrets is in it."""
        secrets = [self.secret, self.other.sudo().callback_secret]
        with server_log() as lines:
            self._post(b'{"status": "paid"}')
            self._post(b'{"status": "paid"}', url=self._url(kind="/result"))
            self._post(b"{}", url=self._url(self.other), sign=False)
            self._post(b"<not json")
            self.url_open(self._url(), method="GET")
        log = "\n".join(lines)
        requests = [line for line in lines if "/spp_payment/fsp/" in line]
        self.assertGreaterEqual(len(requests), 5, log)  # the request log was read
        self.assertIn(self.fsp.callback_public_id, log)
        for secret in secrets:
            self.assertTrue(secret)
            self.assertNotIn(secret, log)
        self.assertNotIn(" WARNING ", log)
        self.assertNotIn("Traceback", log)

    def test_callback_urls_hold_no_secret(self):
        for fsp in self.fsp | self.other:
            url = fsp._spp_callback_url("/result")
            self.assertNotIn(fsp.sudo().callback_secret, url)
            self.assertTrue(
                url.endswith(
                    f"/spp_payment/fsp/{fsp.callback_public_id}/callback/result"
                )
            )

    def test_signed_callback_is_authenticated(self):
        response = self._post(b'{"status": "paid"}')
        # Authenticated; a manual FSP then has nothing to apply.
        self.assertEqual(response.status_code, 400)
        self.assertTrue(self._last().authenticated)
        self.assertIn("sends no callbacks", self._last().result)

    def test_callback_retried_after_a_concurrency_failure_keeps_its_body(self):
        """Odoo runs a request again when its transaction meets a concurrent
        one (two deliveries of one callback at once): the second try reads
        the same body, so the callback is authenticated, not refused as
        malformed, and recorded once."""
        Callback = type(self.env["spp.payment.callback"])
        store = Callback._spp_store
        tries = []

        def conflict_once(callback, *args, **kwargs):
            tries.append(1)
            if len(tries) == 1:
                raise ConcurrencyError("could not serialize access")
            return store(callback, *args, **kwargs)

        with patch.object(Callback, "_spp_store", conflict_once):
            self._post(b'{"status": "paid"}')
        self.assertEqual(len(tries), 2)
        self.assertEqual(len(self._callbacks()), 1)
        self.assertTrue(self._last().authenticated)
        self.assertIn("sends no callbacks", self._last().result)

    def test_missing_wrong_or_non_ascii_signature_is_refused(self):
        body = b'{"status": "paid"}'
        for headers, sign in (
            ({}, False),
            ({callbacks.SIGNATURE_HEADER: callbacks.sign("guess", body)}, False),
            ({callbacks.SIGNATURE_HEADER: self.secret}, False),
            ({callbacks.SIGNATURE_HEADER: "sha256=é" + "0" * 63}, False),
        ):
            with server_log() as lines:
                response = self._post(body, headers, sign=sign)
            self._assert_quiet(lines)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(self._last().state, "refused")
            self.assertFalse(self._last().authenticated)
        self.assertEqual(len(self._callbacks()), 4)

    def test_malformed_bodies_are_refused_with_400(self):
        for body, reason in (
            (b"<not json", "not JSON"),
            (b"\xff\xfe{}", "not JSON"),
            (b"[1, 2]", "not a JSON object"),
            (b"", "not JSON"),
        ):
            with server_log() as lines:
                response = self._post(body)
            self.assertEqual(response.status_code, 400, body)
            self.assertEqual(self._last().state, "refused")
            self.assertIn(reason, self._last().result)
            refusals = [line for line in lines if "Refused callback" in line]
            self.assertEqual(len(refusals), 1, lines)
            self.assertIn(f"{CALLBACK_LOGGER} INFO Refused", refusals[0])

    def test_oversized_body_is_refused_with_413(self):
        body = b'{"pad": "' + b"x" * callbacks.MAX_BODY + b'"}'
        response = self._post(body)
        self.assertEqual(response.status_code, 413)
        self.assertEqual(self._last().state, "refused")
        self.assertLessEqual(len(self._last().payload), 4000)

    def test_unknown_or_non_ascii_ids_get_404_and_no_record(self):
        base = f"{self.base_url()}/spp_payment/fsp"
        for url in (
            f"{base}/0123456789abcdef/callback",
            f"{base}/%C3%A9t%C3%A9/callback",
            f"{base}/{self.fsp.callback_public_id}/callback/r%C3%A9sultat",
            f"{base}/{'a' * 300}/callback",
        ):
            with server_log() as lines:
                response = self._post(b"{}", url=url)
            self._assert_quiet(lines)
            self.assertEqual(response.status_code, 404, url)
        self.assertFalse(self._callbacks())

    def test_wrong_method_is_refused_with_405(self):
        for method in ("GET", "PUT"):
            response = self.url_open(self._url(), method=method)
            self.assertEqual(response.status_code, 405)
        self.assertEqual(self._callbacks().mapped("state"), ["refused", "refused"])
        self.assertIn("method", self._last().result)

    def test_disabled_fsp_refuses(self):
        self.fsp.state = "disabled"
        response = self._post(b'{"status": "paid"}')
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self._last().state, "refused")
        self.assertIn("disabled", self._last().result)
        self.fsp.state = "enabled"
        self.fsp.active = False
        self.assertEqual(self._post(b'{"status": "paid"}').status_code, 403)

    def test_old_secret_urls_are_gone(self):
        response = self._post(
            b'{"status": "paid"}',
            url=f"{self.base_url()}/spp_payment/callback/manual/{self.secret}",
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self._callbacks())

    def test_rotating_the_secret_kills_the_old_one(self):
        officer = new_test_user(
            self.env,
            login="spp_cb_manager",
            groups="spp_payment_base.group_spp_finance_manager",
        )
        with self.assertRaises(UserError):
            self.fsp.with_user(officer).action_rotate_callback_secret()
        old = self.secret
        self.fsp.action_rotate_callback_secret()
        self.assertNotEqual(self.fsp.sudo().callback_secret, old)
        self.assertEqual(self._post(b'{"status": "paid"}').status_code, 401)
        self.secret = self.fsp.sudo().callback_secret
        self.assertEqual(self._post(b'{"status": "paid"}').status_code, 400)
        self.assertTrue(self._last().authenticated)

    def test_secrets_are_readable_by_administrators_only(self):
        manager = new_test_user(
            self.env,
            login="spp_cb_fm",
            groups="spp_payment_base.group_spp_finance_manager",
        )
        admin = new_test_user(
            self.env, login="spp_cb_admin", groups="spp_payment_base.group_spp_admin"
        )
        secret_fields = [
            name
            for name, field in self.env["spp.fsp"]._fields.items()
            if any(word in name for word in ("secret", "password", "key", "token"))
            and field.type in ("char", "text")
        ]
        self.assertIn("callback_secret", secret_fields)
        fsp = self.fsp.with_user(manager)
        fsp.read(["name", "callback_public_id"])  # the public id is not a secret
        for name in secret_fields:
            self.assertEqual(
                self.env["spp.fsp"]._fields[name].groups,
                "spp_payment_base.group_spp_admin",
                name,
            )
            with self.assertRaises(AccessError):
                fsp.read([name])
        self.assertEqual(self.fsp.with_user(admin).callback_secret, self.secret)
