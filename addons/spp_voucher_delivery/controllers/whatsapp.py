# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""WhatsApp Cloud API webhooks: GET is Meta's verification handshake
(hub.mode=subscribe, hub.verify_token, hub.challenge echoed back), POST carries
message statuses signed by X-Hub-Signature-256. The URL names the provider by
a public id only; whatever cannot be trusted gets a 4xx and an INFO line."""

import json
import logging

from spp_payment_core import callbacks, messaging

from odoo import http
from odoo.http import request

from odoo.addons.spp_payment_base.controllers.callback import _read_body

from ..models.spp_notification_provider import WEBHOOK_PATH

_logger = logging.getLogger(__name__)


class SppWhatsAppWebhook(http.Controller):
    @http.route(
        f"{WEBHOOK_PATH}/<string:public_id>",
        type="http",
        auth="none",
        methods=None,
        csrf=False,
        readonly=False,
        save_session=False,
    )
    def webhook(self, public_id, **params):
        provider = self._provider(public_id)
        if provider is None:
            return self._refuse(404, "unknown provider", public_id)
        method = request.httprequest.method
        if method == "GET":
            if params.get("hub.mode") == "subscribe" and provider._spp_verify_token_ok(
                params.get("hub.verify_token") or ""
            ):
                challenge = str(params.get("hub.challenge") or "")[:200]
                return request.make_response(
                    challenge, headers=[("Content-Type", "text/plain")]
                )
            return self._refuse(403, "verification refused", public_id)
        if method != "POST":
            return self._refuse(405, "method not allowed", public_id)
        raw = _read_body(request.httprequest)
        if raw is None:
            return self._refuse(413, "body too large", public_id)
        header = request.httprequest.headers.get("X-Hub-Signature-256")
        if not provider._spp_signature_ok(raw, header):
            return self._refuse(
                401, "missing or invalid X-Hub-Signature-256", public_id
            )
        try:
            statuses = messaging.whatsapp_statuses(json.loads(raw))
        except (ValueError, UnicodeDecodeError) as error:
            return self._refuse(400, f"malformed body: {error}", public_id)
        applied = (
            request.env["spp.voucher.delivery"]
            .sudo()
            ._spp_apply_statuses(provider, statuses)
        )
        return self._answer(200, {"status": "ok", "applied": applied})

    def _provider(self, public_id):
        if not callbacks.is_public_id(public_id):
            return None
        provider = (
            request.env["spp.notification.provider"]
            .sudo()
            .search(
                [
                    ("webhook_public_id", "=", public_id),
                    ("kind", "=", "whatsapp_cloud"),
                ],
                limit=1,
            )
        )
        return provider or None

    def _refuse(self, status, reason, public_id):
        _logger.info(
            "WhatsApp webhook %r refused (%s): %s", public_id[:64], status, reason
        )
        return self._answer(status, {"status": "refused", "reason": reason})

    def _answer(self, status, body):
        return request.make_response(
            json.dumps(body),
            headers=[("Content-Type", "application/json")],
            status=status,
        )
