# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Where voucher messages go out: a WhatsApp Cloud API phone number or an SMS
gateway (Africa's Talking's API shape). Calls go through the connectors' HTTP
plumbing (spp_payment_core.http: retries of 5xx/429, a shared rate limit,
reused connections); credentials are readable by administrators only and
never travel in a URL."""

import secrets

from spp_payment_core import callbacks, http, messaging

from odoo import api, fields, models

WEBHOOK_PATH = "/spp_voucher_delivery/whatsapp"
ADMIN = "spp_payment_base.group_spp_admin"


class SppNotificationProvider(models.Model):
    _name = "spp.notification.provider"
    _description = "Notification Provider"
    _order = "name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    kind = fields.Selection(
        [("whatsapp_cloud", "WhatsApp Cloud API"), ("sms_gateway", "SMS Gateway")],
        required=True,
        default="whatsapp_cloud",
    )
    api_url = fields.Char(
        string="API Base URL",
        required=True,
        help="WhatsApp: https://graph.facebook.com/v21.0; Africa's Talking: "
        "https://api.africastalking.com (sandbox: "
        "https://api.sandbox.africastalking.com).",
    )
    phone_number_id = fields.Char(help="WhatsApp: the sending phone number's ID.")
    sms_username = fields.Char(string="SMS Username")
    sms_sender = fields.Char(string="SMS Sender ID")
    template_name = fields.Char(
        help="WhatsApp template (parameters: beneficiary, amount, code, expiry). "
        "Empty: a text message (only inside a 24-hour customer window)."
    )
    template_language = fields.Char(default="en")
    default_country_code = fields.Char(
        help="Digits completing national numbers, e.g. 254."
    )
    rate_limit_tps = fields.Float(string="Messages per Second", default=20)
    http_retries = fields.Integer(
        default=3, help="Tries of one request on 5xx/429 before it counts failed."
    )
    retry_backoff_seconds = fields.Float(default=1.0)
    chunk_size = fields.Integer(default=200)
    # Administrators only: never shown to others, never in a URL or a log line.
    api_token = fields.Char(groups=ADMIN, copy=False)
    app_secret = fields.Char(
        groups=ADMIN, copy=False, help="WhatsApp app secret: signs status webhooks."
    )
    verify_token = fields.Char(
        groups=ADMIN,
        copy=False,
        default=lambda self: secrets.token_urlsafe(24),
        help="Echoed by Meta's webhook verification request (hub.verify_token).",
    )
    webhook_public_id = fields.Char(
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: secrets.token_hex(12),
        help="Names this provider in its webhook URL; not a secret.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url")

    _webhook_public_id_unique = models.Constraint(
        "UNIQUE(webhook_public_id)", "A webhook ID names one provider."
    )

    @api.depends("webhook_public_id")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for provider in self:
            provider.webhook_url = (
                f"{base.rstrip('/')}{WEBHOOK_PATH}/{provider.webhook_public_id}"
            )

    @property
    def channel(self):
        return "whatsapp" if self.kind == "whatsapp_cloud" else "sms"

    # Sending -------------------------------------------------------------

    def _spp_send_message(self, to, text, parameters):
        """Send one message; a messaging.Outcome. Called with no database lock
        held (see spp.voucher.delivery._job_send)."""
        self.ensure_one()
        admin = self.sudo()
        try:
            if self.kind == "whatsapp_cloud":
                status, answer = self._spp_http(
                    "POST",
                    f"{self.api_url.rstrip('/')}/{self.phone_number_id}/messages",
                    json=messaging.whatsapp_body(
                        to,
                        text=text,
                        template=self.template_name,
                        language=self.template_language,
                        parameters=parameters,
                    ),
                    headers={"Authorization": f"Bearer {admin.api_token or ''}"},
                )
                return messaging.whatsapp_outcome(status, answer)
            status, answer = self._spp_http(
                "POST",
                f"{self.api_url.rstrip('/')}/version1/messaging",
                data=messaging.africastalking_form(
                    self.sms_username, to, text, self.sms_sender
                ),
                headers={"apiKey": admin.api_token or "", "Accept": "application/json"},
            )
            return messaging.africastalking_outcome(status, answer)
        except http.NotSent as error:
            return messaging.Outcome(
                False, error=f"not sent: {error}"[:300], retryable=True
            )
        except http.NoAnswer as error:
            # The message may have gone out: not retried unless asked for.
            return messaging.Outcome(False, error=f"no answer: {error}"[:300])

    def _spp_http(self, method, url, **kwargs):
        """One request, paced and retried as the FSP connectors' are."""
        key = (self.env.cr.dbname, self._name, self.id)
        http.shared_limiter(key, self.rate_limit_tps).wait()
        return http.call(
            method,
            url,
            timeout=30,
            attempts=max(self.http_retries, 1),
            backoff=max(self.retry_backoff_seconds, 0) or 0.1,
            session=http.thread_session(key),
            **kwargs,
        )

    # Webhooks ------------------------------------------------------------

    def _spp_signature_ok(self, raw, header):
        """X-Hub-Signature-256 is ``sha256=`` and the hex HMAC-SHA256 of the
        raw body keyed with the app secret: compared in constant time."""
        self.ensure_one()
        return callbacks.signature_matches(self.sudo().app_secret, raw, header)

    def _spp_verify_token_ok(self, token):
        self.ensure_one()
        expected = self.sudo().verify_token
        return bool(expected) and callbacks.same_bytes(expected, token)
