# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Loopback simulators of the two messaging APIs (see spp_payment_core.messaging
for the documents they follow), on the FSP simulators' base (tests use them on
a socket of their own; the demo serves the WhatsApp one inside Odoo): real HTTP on
127.0.0.1, every request checked (``violations``), faults queued per request,
status webhooks queued and delivered by ``flush()``.

Outcomes by the recipient's last four digits: 0009 refused at once (WhatsApp
131030 "recipient not in allowed list", Africa's Talking 403
InvalidPhoneNumber); 0008 accepted, then a "failed" status webhook; anything
else accepted, then "sent" and "delivered" webhooks."""

import itertools
import json
from urllib.parse import parse_qs

from .. import callbacks
from .base import Simulator

_ids = itertools.count(1)


class WhatsAppCloudSimulator(Simulator):
    """POST /<version>/<PHONE_NUMBER_ID>/messages, Bearer token."""

    def __init__(self, token, app_secret, phone_number_id, **kwargs):
        super().__init__(**kwargs)
        self.token = token
        self.app_secret = app_secret
        self.phone_number_id = phone_number_id
        self.webhook_url = None
        self.throttled = 0
        self.sent = []  # (to, body) of each accepted message

    def throttle_next(self, count=1):
        """The next ``count`` requests hit the rate limit (429, code 130429)."""
        self.throttled += count

    def dispatch(self, method, path, headers, body):
        parts = path.split("?", 1)[0].strip("/").split("/")
        if method != "POST" or len(parts) != 3 or parts[2] != "messages":
            return 404, _error(100, "Unsupported request", "GraphMethodException")
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, _error(190, "Invalid OAuth access token.", "OAuthException")
        if parts[1] != self.phone_number_id:
            return 400, _error(100, "Invalid parameter: phone number id")
        if self.throttled:
            self.throttled -= 1
            return 429, _error(130429, "Rate limit hit")
        try:
            message = json.loads(body)
        except ValueError:
            self.violation("body is not JSON")
            return 400, _error(100, "Invalid JSON")
        to = str(message.get("to") or "")
        if message.get("messaging_product") != "whatsapp" or not to.isdigit():
            self.violation(f"bad message envelope: {sorted(message)}")
            return 400, _error(100, "Invalid parameter")
        kind = message.get("type")
        if kind == "text" and not (message.get("text") or {}).get("body"):
            self.violation("text message without a body")
            return 400, _error(100, "Invalid parameter: text.body")
        if kind == "template" and not (message.get("template") or {}).get("name"):
            self.violation("template message without a name")
            return 400, _error(132001, "Template name does not exist")
        if kind not in ("text", "template"):
            self.violation(f"unexpected type {kind!r}")
            return 400, _error(100, "Invalid parameter: type")
        if to.endswith("0009"):
            return 400, _error(131030, "Recipient phone number not in allowed list")
        wamid = f"wamid.SIM{next(_ids):08d}"
        self.sent.append((to, message))
        if self.webhook_url:
            statuses = ["failed"] if to.endswith("0008") else ["sent", "delivered"]
            for status in statuses:
                self.queue_callback(
                    self.webhook_url, self.status_body(wamid, status, to)
                )
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }

    def status_body(self, wamid, status, to):
        item = {
            "id": wamid,
            "status": status,
            "timestamp": "1798761600",
            "recipient_id": to,
        }
        if status == "failed":
            item["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA-SIM",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": self.phone_number_id},
                                "statuses": [item],
                            },
                        }
                    ],
                }
            ],
        }

    def callback_headers(self, raw):
        return {"X-Hub-Signature-256": callbacks.sign(self.app_secret, raw)}


class AfricasTalkingSimulator(Simulator):
    """POST /version1/messaging, form fields, apiKey header."""

    routes = {("POST", "/version1/messaging"): "_send"}

    def __init__(self, username, api_key, **kwargs):
        super().__init__(**kwargs)
        self.username = username
        self.api_key = api_key
        self.sent = []

    def _send(self, headers, body, path):
        if headers.get("apikey") != self.api_key:
            return 401, b"The supplied authentication is invalid"
        if "application/x-www-form-urlencoded" not in headers.get("content-type", ""):
            self.violation("not a form post")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("username") != self.username:
            return 401, b"The supplied authentication is invalid"
        to, text = form.get("to", ""), form.get("message", "")
        if not to.startswith("+") or not text:
            self.violation(f"bad form: {sorted(form)}")
        if to.endswith("0009"):
            recipient = {
                "statusCode": 403,
                "number": to,
                "status": "InvalidPhoneNumber",
                "cost": "0",
                "messageId": "None",
            }
        else:
            self.sent.append((to, text))
            recipient = {
                "statusCode": 101,
                "number": to,
                "status": "Success",
                "cost": "KES 0.8000",
                "messageId": f"ATXid_{next(_ids):08d}",
            }
        return 201, {
            "SMSMessageData": {
                "Message": "Sent to 1/1 Total Cost: KES 0.8000",
                "Recipients": [recipient],
            }
        }


def _error(code, message, kind="OAuthException"):
    return {
        "error": {
            "message": message,
            "type": kind,
            "code": code,
            "fbtrace_id": "SIMTRACE",
        }
    }
