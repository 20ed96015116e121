# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""WhatsApp Cloud API simulated inside Odoo, so the demo sends vouchers by
WhatsApp with no outside service: spp_payment_core's WhatsApp simulator (the
one spp_voucher_delivery's tests use) answers at
``/spp_voucher_demo/whatsapp/<version>/<phone number id>/messages`` (see the
controller), and a cron posts its message statuses (sent, delivered) to the
demo provider's webhook every minute, signed as Meta signs them. Its memory is
the Odoo process's, as the simulated FSPs': a restart forgets the messages."""

import secrets
import threading

from spp_payment_core.simulators.messaging import WhatsAppCloudSimulator

from odoo import api, models

_SIMULATORS = {}
_LOCK = threading.Lock()
PATH = "/spp_voucher_demo/whatsapp"
VERSION = "v21.0"
PHONE_NUMBER_ID = "100200300400"
PROVIDER_NAME = "Demo WhatsApp (simulated)"


class SppDemoWhatsApp(models.AbstractModel):
    _name = "spp.demo.whatsapp"
    _description = "Simulated Demo WhatsApp"

    @api.model
    def _configure(self, base_url):
        """Create (or point again at ``base_url``) the demo WhatsApp provider.
        Its token and app secret are made here, for the simulator and the
        provider alike. Returns it."""
        self.env["res.users"].check_access("create")  # administrators only
        providers = self.env["spp.notification.provider"].sudo()
        provider = self._provider()
        vals = {
            "name": PROVIDER_NAME,
            "kind": "whatsapp_cloud",
            "api_url": f"{base_url.rstrip('/')}{PATH}/{VERSION}",
            "phone_number_id": PHONE_NUMBER_ID,
            "template_name": "spp_voucher_issued",
            "default_country_code": "254",
            "rate_limit_tps": 0,
            "retry_backoff_seconds": 0.1,
        }
        if not provider:
            vals.update(
                api_token=secrets.token_urlsafe(24),
                app_secret=secrets.token_urlsafe(24),
            )
            return providers.create(vals)
        provider.write(vals)
        return provider

    @api.model
    def _provider(self):
        """The active provider pointing at this simulator, as superuser."""
        return (
            self.env["spp.notification.provider"]
            .sudo()
            .search(
                [
                    ("kind", "=", "whatsapp_cloud"),
                    ("phone_number_id", "=", PHONE_NUMBER_ID),
                    ("api_url", "like", f"{PATH}/"),
                ],
                limit=1,
            )
        )

    @api.model
    def _simulator(self):
        """This database's simulator (made on first use), with the provider's
        current credentials and webhook: an administrator may rotate them."""
        provider = self._provider()
        if not provider:
            return None
        key = self.env.cr.dbname
        with _LOCK:
            if key not in _SIMULATORS:
                _SIMULATORS[key] = WhatsAppCloudSimulator(
                    provider.api_token,
                    provider.app_secret,
                    PHONE_NUMBER_ID,
                    listen=False,
                )
            simulator = _SIMULATORS[key]
        simulator.token = provider.api_token
        simulator.app_secret = provider.app_secret
        simulator.webhook_url = provider.webhook_url
        return simulator

    @api.model
    def _cron_report_statuses(self):
        """What WhatsApp does "later": report the messages' statuses."""
        simulator = self._simulator()
        if simulator is not None:
            simulator.flush()

    @api.model
    def _inbox(self):
        """The messages the simulated WhatsApp accepted, newest first:
        [{"to", "text"}] (a template message shows its parameters)."""
        simulator = self._simulator()
        if simulator is None:
            return []
        inbox = []
        for to, body in reversed(simulator.sent):
            if body.get("type") == "template":
                components = body["template"].get("components") or [{}]
                parameters = components[0].get("parameters") or []
                text = " | ".join(str(p.get("text", "")) for p in parameters)
            else:
                text = (body.get("text") or {}).get("body", "")
            inbox.append({"to": to, "text": text})
        return inbox
