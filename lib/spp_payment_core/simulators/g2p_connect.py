# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A G2P Connect disbursement receiver that speaks the v1.0.0 protocol."""

import json
import secrets
import uuid
from urllib.parse import parse_qs

from .. import callbacks, g2p_connect
from .base import PAID, Drop, Simulator

REJECT_REASON = {
    "insufficient_funds": "rjct.payer_fa.invalid",
    "invalid_account": "rjct.payee_fa.invalid",
}


class G2pConnectSimulator(Simulator):
    routes = {
        ("POST", "/oauth2/client/token"): "token",
        ("POST", "/disburse"): "disburse",
        ("POST", "/disburse/txn/status"): "txn_status",
        ("POST", "/disburse/sync/txn/status"): "txn_status",
    }

    def __init__(self, client_id="spp", client_secret="secret", signer=None, **kwargs):
        """``signer``: signs the callbacks' envelopes (G2P Connect's message
        signature, see g2p_connect.ed25519_signer). A receiver onboarded with
        our callback secret also sends our X-SPP-Signature header."""
        super().__init__(**kwargs)
        self.client_id, self.client_secret = client_id, client_secret
        self.signer = signer
        self.tokens = set()
        self.message_ids = {}  # message_id -> correlation_id
        self.statuses = {}  # reference_id -> final item status dict
        self.disbursed = {}  # reference_id -> times the money moved
        self.sent = {}  # reference_id -> (sender_uri, transaction_id)

    def expire_tokens(self):
        self.tokens.clear()

    # Routes ------------------------------------------------------------------

    def token(self, headers, body, path):
        values = _form_or_json(body)
        if (values.get("client_id"), values.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"errors": [{"code": "err.request.unauthorized"}]}
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": "3600",
        }

    def _authorized(self, headers):
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        return token in self.tokens

    def disburse(self, headers, body, path):
        if not self._authorized(headers):
            return 401, {"errors": [{"code": "err.request.unauthorized"}]}
        payload = _json(body)
        errors = g2p_connect.validate("/disburse", payload) if payload else ["not JSON"]
        if errors:
            self.violation(f"/disburse: {errors[:3]}")
            return 200, _ack("ERR", None, "err.request.bad", errors[0])
        head, message = payload["header"], payload["message"]
        if head["message_id"] in self.message_ids:
            return 200, _ack(
                "ERR",
                self.message_ids[head["message_id"]],
                "err.request.bad",
                "rjct.message_id.duplicate",
            )
        correlation = str(uuid.uuid4())
        self.message_ids[head["message_id"]] = correlation
        items = message["disbursements"]
        finals, silent = [], False
        for item in items:
            outcome = self.outcome_of(item["payee_fa"].split("@")[0])
            silent = silent or outcome == "no_answer"
            final = self._settle(item, outcome)
            if outcome != "lost_callback":
                finals.append(final)
            if outcome == "duplicate_callback":
                finals.append(final)
        url = head.get("sender_uri")
        transaction = message["transaction_id"]
        for item in items:
            self.sent[item["reference_id"]] = (url, transaction)
        pending = [dict(_status(i["reference_id"], "pdng")) for i in items]
        self.queue_callback(url, self._callback(transaction, pending, "pdng"))
        if finals:
            self.queue_callback(url, self._callback(transaction, finals, "succ"))
        if self.callbacks_first:
            self.flush()
        if silent:
            raise Drop()
        return 200, _ack("ACK", correlation)

    def _settle(self, item, outcome):
        reference = item["reference_id"]
        if reference in self.statuses:
            return _status(reference, "rjct", "rjct.reference_id.duplicate")
        if outcome in REJECT_REASON:
            status = _status(reference, "rjct", REJECT_REASON[outcome])
        else:
            status = _status(reference, "succ")
            self.disbursed[reference] = self.disbursed.get(reference, 0) + 1
        status["amount"] = item["amount"]
        self.statuses[reference] = status
        return status

    def callback_headers(self, raw):
        if not self.callback_secret:
            return {}
        return {callbacks.SIGNATURE_HEADER: callbacks.sign(self.callback_secret, raw)}

    def _callback(self, transaction, items, status):
        head = {
            "version": g2p_connect.VERSION,
            "message_id": str(uuid.uuid4()),
            "message_ts": g2p_connect.now_iso(),
            "action": "on-disburse",
            "status": status,
            "total_count": len(items),
            "completed_count": sum(i["status"] in ("succ", "rjct") for i in items),
            "sender_id": "simulated-fsp",
        }
        message = {"transaction_id": transaction, "disbursements_status": items}
        return g2p_connect.envelope(head, message, self.signer)

    def txn_status(self, headers, body, path):
        if not self._authorized(headers):
            return 401, {"errors": [{"code": "err.request.unauthorized"}]}
        payload = _json(body)
        errors = (
            g2p_connect.validate("/disburse/txn/status", payload)
            if payload
            else ["not JSON"]
        )
        if errors:
            self.violation(f"/disburse/txn/status: {errors[:3]}")
            return 200, _ack("ERR", None, "err.request.bad", errors[0])
        request = payload["message"]["txnstatus_request"]
        references = request["attribute_value"]
        found = [self.statuses[r] for r in references if r in self.statuses]
        return 200, {
            "header": self._callback("", found, "succ")["header"]
            | {"action": "txn-on-status"},
            "message": {
                "transaction_id": payload["message"]["transaction_id"],
                "correlation_id": str(uuid.uuid4()),
                "txnstatus_response": {
                    "txn_type": "on-disburse",
                    "txn_status": {
                        "transaction_id": payload["message"]["transaction_id"],
                        "disbursements_status": found,
                    },
                },
            },
        }

    def late_success(self, reference):
        """Fault: the receiver pays ``reference`` it had rejected and says so in
        an /on-disburse callback to the sender."""
        url, transaction = self.sent[reference]
        status = dict(self.statuses[reference])
        status.pop("status_reason_code", None)
        status["status"] = "succ"
        self.statuses[reference] = status
        self.disbursed[reference] = self.disbursed.get(reference, 0) + 1
        self.queue_callback(url, self._callback(transaction, [status], "succ"))

    def paid_twice(self):
        """References paid more than once: must stay empty."""
        return [ref for ref, n in self.disbursed.items() if n > 1]


def _status(reference, status, reason=None):
    result = {
        "reference_id": reference,
        "timestamp": g2p_connect.now_iso(),
        "status": status,
    }
    if reason:
        result["status_reason_code"] = reason
    return result


def _ack(status, correlation, code=None, message=None):
    ack = {
        "ack_status": status,
        "timestamp": g2p_connect.now_iso(),
        "correlation_id": correlation or str(uuid.uuid4()),
    }
    if code:
        ack["error"] = {"code": code, "message": (message or "")[:999]}
    return {"message": ack}


def _json(body):
    try:
        value = json.loads(body or b"")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _form_or_json(body):
    value = _json(body)
    if value is not None:
        return value
    return {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}


__all__ = ["G2pConnectSimulator", "PAID"]
