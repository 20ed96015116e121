# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Messages to beneficiaries' phones, as two documented APIs want them.

WhatsApp Cloud API (Meta Graph API, "Messages" reference): ``POST
<base>/v<version>/<PHONE_NUMBER_ID>/messages`` with ``Authorization: Bearer
<token>`` and a JSON body ``{"messaging_product": "whatsapp", "to": ...,
"type": "template" | "text", ...}``; a 200 answers ``{"messages": [{"id":
"wamid..."}]}``, an error ``{"error": {"code": 190 | 130429 | ..., "message":
...}}``. Status webhooks POST ``entry[].changes[].value.statuses[]`` (``id``,
``status`` sent/delivered/read/failed, ``errors``), signed by
``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body by the app secret>``.

Africa's Talking SMS ("Bulk SMS" reference): ``POST <base>/version1/messaging``
form fields ``username``, ``to``, ``message`` (and ``from``), header ``apiKey``,
``Accept: application/json``; a 201 answers ``{"SMSMessageData": {"Recipients":
[{"statusCode": 101, "status": "Success", "messageId": "ATXid_...", ...}]}}``
(100 Processed, 101 Sent, 102 Queued; 4xx/5xx codes are refusals).
"""

from dataclasses import dataclass

# WhatsApp statuses in the order a message goes through them; "failed" may
# follow any of the first two.
WHATSAPP_STATUSES = ("sent", "delivered", "read", "failed")
# Graph API error codes worth trying again later (throttling, temporary).
WHATSAPP_RETRYABLE = frozenset({4, 80007, 130429, 131016, 131048, 131056, 133004})
# Africa's Talking recipient status codes that mean "accepted for delivery".
AT_ACCEPTED = frozenset({100, 101, 102})


@dataclass(frozen=True)
class Outcome:
    """What the provider said about one message: accepted (with its id) or
    refused (with a reason that holds no secret), and whether trying again
    later may help."""

    ok: bool
    message_id: str = ""
    error: str = ""
    retryable: bool = False


def whatsapp_body(to, text=None, template=None, language="en", parameters=()):
    """The JSON body of one message: a template (business-initiated messages
    outside a 24-hour window must be templates) or a plain text."""
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": str(to).lstrip("+"),
    }
    if template:
        body["type"] = "template"
        body["template"] = {
            "name": template,
            "language": {"code": language or "en"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": str(p)} for p in parameters
                    ],
                }
            ],
        }
    else:
        body["type"] = "text"
        body["text"] = {"preview_url": False, "body": text or ""}
    return body


def whatsapp_outcome(status, answer):
    """Outcome of a Cloud API answer ``(HTTP status, parsed JSON)``."""
    answer = answer if isinstance(answer, dict) else {}
    messages = answer.get("messages")
    if status == 200 and isinstance(messages, list) and messages:
        message_id = messages[0].get("id") if isinstance(messages[0], dict) else None
        if message_id:
            return Outcome(True, message_id=str(message_id)[:200])
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    code = error.get("code")
    reason = f"HTTP {status}"
    if code is not None:
        reason += f", error {code}"
    if error.get("message"):
        reason += f": {str(error['message'])[:200]}"
    elif status == 200:
        reason += ": no message id in the answer"
    retryable = status == 429 or status >= 500 or code in WHATSAPP_RETRYABLE
    return Outcome(False, error=reason, retryable=retryable)


def whatsapp_statuses(payload):
    """``[(message id, status, error text)]`` of a status webhook payload;
    raises ValueError for a payload that is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValueError("not a WhatsApp webhook: no entry list")
    found = []
    for entry in payload["entry"]:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            for item in value.get("statuses") or []:
                if not isinstance(item, dict):
                    raise ValueError("a status is not an object")
                message_id, status = item.get("id"), item.get("status")
                if not isinstance(message_id, str) or status not in WHATSAPP_STATUSES:
                    raise ValueError(f"unknown status {status!r}")
                errors = item.get("errors") or []
                text = "; ".join(
                    f"{e.get('code')}: {e.get('title') or e.get('message') or ''}"
                    for e in errors
                    if isinstance(e, dict)
                )
                found.append((message_id, status, text[:500]))
    return found


def africastalking_form(username, to, text, sender=None):
    form = {"username": username, "to": to, "message": text}
    if sender:
        form["from"] = sender
    return form


def africastalking_outcome(status, answer):
    """Outcome of an Africa's Talking answer for one recipient."""
    if status == 401:
        return Outcome(False, error="HTTP 401: the API key was refused")
    data = answer.get("SMSMessageData") if isinstance(answer, dict) else None
    recipients = (data or {}).get("Recipients") if isinstance(data, dict) else None
    if status in (200, 201) and isinstance(recipients, list) and recipients:
        first = recipients[0] if isinstance(recipients[0], dict) else {}
        code = first.get("statusCode")
        if code in AT_ACCEPTED and first.get("messageId"):
            return Outcome(True, message_id=str(first["messageId"])[:200])
        return Outcome(
            False,
            error=f"status {code}: {str(first.get('status') or '')[:100]}",
            retryable=code in (405, 500, 501),
        )
    message = (data or {}).get("Message") if isinstance(data, dict) else None
    reason = f"HTTP {status}" + (f": {str(message)[:200]}" if message else "")
    return Outcome(False, error=reason, retryable=status == 429 or status >= 500)
