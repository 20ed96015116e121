# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How every API connector talks to its FSP: HTTP with the FSP's retry policy and
rate limit on reused connections, cached access tokens, callback URLs that hold
no secret and the callbacks' authentication. What the FSP's answers mean for
payments is in spp_fsp_outcomes."""

from datetime import timedelta

from spp_payment_core import callbacks, http

from odoo import fields, models

from .spp_payment_callback import CallbackRefused

# Callback URLs: <base>/spp_payment/fsp/<callback_public_id>/callback[/<kind>].
CALLBACK_PATH = "/spp_payment/fsp"

# One limiter (a token bucket) per FSP and worker process: the FSP's rate is
# shared by the jobs of the process's threads and by the threads they send
# with (run one worker process per FSP channel, or lower the rate, to bound it
# across processes). Sessions reuse connections, one per thread (see
# spp_payment_core.http).


class SppFsp(models.Model):
    # One file per concern of the connector framework (see spp_fsp_outcomes).
    _inherit = "spp.fsp"  # pylint: disable=consider-merging-classes-inherited

    callback_base_url = fields.Char(
        groups="spp_payment_base.group_spp_admin",
        help="Public base URL the FSP calls back (default: web.base.url).",
    )
    api_token = fields.Char(
        groups="spp_payment_base.group_spp_admin", copy=False, readonly=True
    )
    api_token_expiry = fields.Datetime(
        string="Token Valid Until",
        groups="spp_payment_base.group_spp_admin",
        copy=False,
        readonly=True,
    )

    requests_in_flight = fields.Integer(
        default=8,
        help="Requests sent to the FSP at once by a delivery job or status "
        "query of a protocol with one request per payment (M-Pesa), on kept-alive "
        "connections; all of them within the rate limit.",
    )

    # Callbacks: who may call -------------------------------------------------

    def _spp_authenticate_callback(self, raw, payload, headers):
        """Raise CallbackRefused unless the callback is authentic; raise
        CallbackDeferred when that cannot be told yet (only from the payload:
        ``headers`` is None when a held callback is checked again).

        By default: the HMAC-SHA256 of the raw body, keyed with the callback
        secret, in the X-SPP-Signature header. Connectors whose FSP cannot add
        a header authenticate by their protocol's own means instead."""
        self._spp_check_callback_signature(raw, headers)

    def _spp_check_callback_signature(self, raw, headers):
        """Raise CallbackRefused unless ``headers`` carry our HMAC of ``raw``."""
        header = (headers or {}).get(callbacks.SIGNATURE_HEADER.lower())
        if not callbacks.signature_matches(self.sudo().callback_secret, raw, header):
            raise CallbackRefused(
                f"missing or invalid {callbacks.SIGNATURE_HEADER} header", 401
            )

    def _spp_callback_answer(self, ok):
        return {"status": "ok" if ok else "refused"}

    # HTTP and tokens ---------------------------------------------------------

    def _spp_http(self, method, url, **kwargs):
        """One FSP request with this FSP's retry policy (5xx and 429 retried
        with the same bytes, never a timeout), paced by its rate limit, on a
        reused connection. Callers hold no payment lock (see _spp_send_payments)."""
        return self._spp_http_client()(method, url, **kwargs)

    def _spp_http_client(self):
        """A function making requests like _spp_http, which reads nothing from
        the database: threads sending in parallel (see requests_in_flight) all
        call through it, each on its own kept-alive connection, all paced by
        the FSP's one token bucket."""
        limiter = self._spp_rate_limiter()
        key = (self.env.cr.dbname, self.id)
        attempts = max(self.max_retries, 1)
        backoff = max(self.retry_backoff_seconds, 0) / 10 or 0.1

        def request(method, url, **kwargs):
            limiter.wait()
            return http.call(
                method,
                url,
                timeout=30,
                attempts=attempts,
                backoff=backoff,
                session=http.thread_session(key),
                **kwargs,
            )

        return request

    def _spp_concurrently(self, function, items):
        """``function`` over ``items`` by up to requests_in_flight threads
        (``function`` must not use the environment: it runs in other threads)."""
        return http.run_concurrently(function, items, self.requests_in_flight)

    def _spp_rate_limiter(self):
        """This FSP's limiter (rate_limit_tps requests a second, 0: none)."""
        self.ensure_one()
        return http.shared_limiter((self.env.cr.dbname, self.id), self.rate_limit_tps)

    def _spp_token(self, fetch):
        """The FSP's access token, cached until a minute before it expires.
        ``fetch()`` asks the FSP for a new one: ``(token, lifetime seconds)``."""
        admin = self.sudo()
        now = fields.Datetime.now()
        if admin.api_token and admin.api_token_expiry and admin.api_token_expiry > now:
            return admin.api_token
        token, lifetime = fetch()
        # Another worker storing its own token holds the row: use ours for this
        # call rather than wait for it while FSP requests are in flight.
        admin.try_lock_for_update(allow_referencing=True).write(
            {
                "api_token": token,
                "api_token_expiry": now + timedelta(seconds=max(lifetime - 60, 30)),
            }
        )
        return token

    def _spp_forget_token(self):
        """The FSP refused the token: the next call fetches a new one."""
        self.sudo().write({"api_token": False, "api_token_expiry": False})

    def _spp_callback_url(self, path=""):
        """The URL the FSP calls back: it names the FSP by its public callback
        ID and holds no secret (request logs print URLs)."""
        self.ensure_one()
        base = self.sudo().callback_base_url or self.env[
            "ir.config_parameter"
        ].sudo().get_param("web.base.url")
        public_id = self.callback_public_id
        return f"{base.rstrip('/')}{CALLBACK_PATH}/{public_id}/callback{path}"
