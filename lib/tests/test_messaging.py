# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import pytest
from spp_payment_core import http, messaging


def test_whatsapp_template_body():
    body = messaging.whatsapp_body("+254700000001", template="t", parameters=["a", 5])
    assert body["to"] == "254700000001"
    assert body["messaging_product"] == "whatsapp"
    assert body["type"] == "template"
    params = body["template"]["components"][0]["parameters"]
    assert params == [{"type": "text", "text": "a"}, {"type": "text", "text": "5"}]


def test_whatsapp_outcomes():
    ok = messaging.whatsapp_outcome(200, {"messages": [{"id": "wamid.X"}]})
    assert ok == messaging.Outcome(True, message_id="wamid.X")
    bad_token = messaging.whatsapp_outcome(
        401, {"error": {"code": 190, "message": "x"}}
    )
    assert not bad_token.ok and not bad_token.retryable and "190" in bad_token.error
    throttled = messaging.whatsapp_outcome(400, {"error": {"code": 130429}})
    assert throttled.retryable
    assert not messaging.whatsapp_outcome(200, {"messages": []}).ok
    assert not messaging.whatsapp_outcome(502, None).ok


def test_whatsapp_statuses():
    payload = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "statuses": [
                                {"id": "w1", "status": "read"},
                                {
                                    "id": "w2",
                                    "status": "failed",
                                    "errors": [{"code": 131026, "title": "no"}],
                                },
                            ]
                        }
                    }
                ]
            }
        ]
    }
    assert messaging.whatsapp_statuses(payload) == [
        ("w1", "read", ""),
        ("w2", "failed", "131026: no"),
    ]
    for bad in (
        [],
        {"entry": "x"},
        {
            "entry": [
                {"changes": [{"value": {"statuses": [{"id": "w", "status": "boom"}]}}]}
            ]
        },
    ):
        with pytest.raises(ValueError):
            messaging.whatsapp_statuses(bad)


def test_africastalking_outcomes():
    accepted = {
        "SMSMessageData": {
            "Recipients": [
                {"statusCode": 101, "status": "Success", "messageId": "ATXid_1"}
            ]
        }
    }
    assert messaging.africastalking_outcome(201, accepted).message_id == "ATXid_1"
    refused = {
        "SMSMessageData": {
            "Recipients": [
                {"statusCode": 403, "status": "InvalidPhoneNumber", "messageId": "None"}
            ]
        }
    }
    outcome = messaging.africastalking_outcome(201, refused)
    assert not outcome.ok and "InvalidPhoneNumber" in outcome.error
    assert "API key" in messaging.africastalking_outcome(401, None).error
    form = messaging.africastalking_form("u", "+2547", "hi", sender="SPP")
    assert form == {"username": "u", "to": "+2547", "message": "hi", "from": "SPP"}


def test_shared_limiter_and_thread_session():
    first = http.shared_limiter(("db", 1), 5)
    assert http.shared_limiter(("db", 1), 5) is first
    assert http.shared_limiter(("db", 1), 10) is not first
    assert http.thread_session("k") is http.thread_session("k")
