# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A Safaricom Daraja B2C v3 endpoint, from the documentation's tables.

As Daraja does, it answers every accepted request with a ConversationID of its
own, which the Result callback names again, and adds no header or signature to
its callbacks (fsp-protocols.md section 3)."""

import base64
import json
import secrets
import threading
import uuid
from datetime import UTC, datetime

from .. import mpesa
from .base import Drop, Simulator

RESULT_CODES = {
    "insufficient_funds": ("1", "The balance is insufficient for the transaction."),
    "invalid_account": ("SFC_IC0003", "The receiver MSISDN does not exist."),
}
B2C_KEYS = {
    "OriginatorConversationID": str,
    "InitiatorName": str,
    "SecurityCredential": str,
    "CommandID": str,
    "Amount": (int, str),
    "PartyA": str,
    "PartyB": str,
    "Remarks": str,
    "QueueTimeOutURL": str,
    "ResultURL": str,
}


class MpesaSimulator(Simulator):
    routes = {
        ("GET", "/oauth/v1/generate"): "token",
        ("POST", mpesa.B2C_PATH): "b2c",
        ("POST", mpesa.STATUS_PATH): "status",
        ("POST", mpesa.BALANCE_PATH): "balance",
    }

    def __init__(self, private_key, password="Safaricom999!", **kwargs):
        """``private_key``: the RSA key of the test certificate the connector
        encrypts the initiator password with."""
        super().__init__(**kwargs)
        self.private_key = private_key
        self.password = password
        self.consumer = ("consumer-key", "consumer-secret")
        self.tokens = set()
        self.payments = {}  # OriginatorConversationID -> (receipt, state, amount)
        self.paid = {}  # MSISDN+key -> times money moved
        self.sent = {}  # OriginatorConversationID -> the B2C request
        # OriginatorConversationID -> the ConversationID Daraja answered: every
        # Result of a request names the pair its acknowledgement gave.
        self.conversations = {}
        # Answer the next B2C requests with HTTP 500 errorCode 500.002.1001 but
        # a generic errorMessage, after taking the request (True) or not
        # (False): Daraja sends that code for server errors too ("Server Error",
        # "Service is currently under maintenance"), not only for duplicates.
        self.server_errors = []
        # The currency the shortcode's accounts are kept in (Daraja's is KES;
        # M-Pesa elsewhere keeps its own: TZS, GHS...).
        self.currency = "KES"
        # The shortcode's accounts: name -> (current, available) balances, as
        # the AccountBalance Result lists them (strings, two decimals).
        self.accounts = {
            "Working Account": ("700000.00", "700000.00"),
            "Float Account": ("0.00", "0.00"),
            "Utility Account": ("228037.00", "228037.00"),
            "Charges Paid Account": ("-1540.00", "-1540.00"),
            "Organization Settlement Account": ("0.00", "0.00"),
        }
        # What the next AccountBalance queries do: "fail" (a Result with
        # ResultCode 2001, the initiator refused) or "timeout" (only the
        # QueueTimeOutURL is called); empty: answered.
        self.balance_faults = []
        self._clear = {}  # SecurityCredential -> the password it decrypts to
        self._taking = threading.Lock()

    def expire_tokens(self):
        self.tokens.clear()

    def token(self, headers, body, path):
        expected = base64.b64encode(":".join(self.consumer).encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return 400, {
                "errorCode": "400.008.01",
                "errorMessage": "Invalid Authentication",
            }
        token = secrets.token_hex(12)
        self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": "3599"}

    def _authorized(self, headers):
        return headers.get("authorization", "").removeprefix("Bearer ") in self.tokens

    def _check(self, body, keys):
        problems = [
            f"{key}: missing or not {kind}"
            for key, kind in keys.items()
            if not isinstance(body.get(key), kind)
        ]
        try:
            clear = self._decrypt(body.get("SecurityCredential", ""))
        except ValueError:
            clear = None
        if clear != self.password:
            problems.append("SecurityCredential does not decrypt to the password")
        return problems

    def _decrypt(self, credential):
        # A client sends the credential it encrypted once with every request:
        # each distinct one is decrypted once (RSA would otherwise be most of
        # what a loopback request costs), and still checked on every request.
        clear = self._clear.get(credential)
        if clear is None:
            from cryptography.hazmat.primitives.asymmetric import (  # noqa: PLC0415
                padding,
            )

            clear = self.private_key.decrypt(
                base64.b64decode(credential), padding.PKCS1v15()
            ).decode()
            if len(self._clear) < 1000:
                self._clear[credential] = clear
        return clear

    def b2c(self, headers, body, path):
        if not self._authorized(headers):
            return 401, {
                "errorCode": "404.001.03",
                "errorMessage": "Invalid Access Token",
            }
        try:
            payload = json.loads(body)
        except ValueError:
            self.violation("B2C body is not JSON")
            return 400, {
                "errorCode": "400.002.05",
                "errorMessage": "Invalid Request Payload",
            }
        problems = self._check(payload, B2C_KEYS)
        problems += self._business_problems(payload)
        if problems:
            self.violation(f"B2C: {problems}")
            return 400, {"errorCode": "400.002.02", "errorMessage": "; ".join(problems)}
        # One request of a key at a time: Daraja takes a key once, whatever
        # arrives at the same moment.
        with self._taking:
            return self._take(payload)

    def _take(self, payload):
        key = payload["OriginatorConversationID"]
        if key in self.payments:
            # Daraja v3 B2C: a reused OriginatorConversationID is refused
            # (fsp-protocols.md §3.2).
            return 500, {
                "requestId": key,
                "errorCode": mpesa.DUPLICATE,
                "errorMessage": "Duplicate OriginatorConversationID.",
            }
        if self.server_errors:
            taken = self.server_errors.pop(0)
            if taken:
                # Taken, its Result lost: only a status query tells.
                self._settle(payload, f"AG_{uuid.uuid4().hex[:20]}", "lost_callback")
            return 500, {
                "requestId": key,
                "errorCode": mpesa.DUPLICATE,
                "errorMessage": "Service is currently under maintenance. "
                "Please try again later",
            }
        conversation = f"AG_{uuid.uuid4().hex[:20]}"
        self.conversations[key] = conversation
        outcome = self.outcome_of(payload["PartyB"])
        self._settle(payload, conversation, outcome)
        if self.callbacks_first:
            self.flush()
        if outcome == "no_answer":
            raise Drop()
        return 200, {
            "ConversationID": conversation,
            "OriginatorConversationID": key,
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        }

    def _business_problems(self, payload):
        problems = []
        if payload.get("CommandID") not in mpesa.COMMANDS:
            problems.append("CommandID")
        if not mpesa.MSISDN.match(str(payload.get("PartyB"))):
            problems.append("PartyB is not 2547XXXXXXXX")
        if not 2 <= len(str(payload.get("Remarks", ""))) <= 100:
            problems.append("Remarks length")
        if not str(payload.get("Amount", "")).isdigit():
            problems.append("Amount is not whole")
        return problems

    def _settle(self, payload, conversation, outcome):
        key = payload["OriginatorConversationID"]
        self.sent[key] = payload
        code, description = RESULT_CODES.get(
            outcome, ("0", "The service request is processed successfully.")
        )
        receipt = f"S{uuid.uuid4().hex[:9].upper()}" if code == "0" else None
        state = (
            "Reversed"
            if outcome == "reversed"
            else ("Completed" if code == "0" else "Failed")
        )
        self.payments[key] = (receipt, state, payload["Amount"])
        if code == "0":
            self.paid[key] = self.paid.get(key, 0) + 1
        result = _result(code, description, key, conversation, receipt, payload)
        if outcome == "lost_callback":
            return
        self.queue_callback(payload["ResultURL"], result)
        if outcome == "duplicate_callback":
            self.queue_callback(payload["ResultURL"], result)
        # "reversed": paid, then reversed (e.g. by a Reversal request). Daraja
        # pushes no notice of that to the B2C ResultURL; a TransactionStatus
        # query of the payment reports it.

    def status(self, headers, body, path):
        if not self._authorized(headers):
            return 401, {
                "errorCode": "404.001.03",
                "errorMessage": "Invalid Access Token",
            }
        payload = json.loads(body)
        keys = {
            k: str
            for k in (
                "Initiator",
                "CommandID",
                "PartyA",
                "ResultURL",
                "QueueTimeOutURL",
                "Remarks",
                "Occasion",
            )
        }
        problems = self._check(payload, keys)
        if problems:
            self.violation(f"status: {problems}")
            return 400, {"errorCode": "400.002.02", "errorMessage": "; ".join(problems)}
        original = payload.get("OriginalConversationID")
        result = self._status_result(original, payload["Occasion"])["Result"]
        self.queue_callback(payload["ResultURL"], {"Result": result})
        return 200, {
            "OriginatorConversationID": result["OriginatorConversationID"],
            "ConversationID": result["ConversationID"],
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        }

    def balance(self, headers, body, path):
        """AccountBalance: acknowledged at once, answered by a Result callback
        (or a queue timeout) naming the ConversationID of the acknowledgement."""
        if not self._authorized(headers):
            return 401, {
                "errorCode": "404.001.03",
                "errorMessage": "Invalid Access Token",
            }
        try:
            payload = json.loads(body)
        except ValueError:
            self.violation("AccountBalance body is not JSON")
            return 400, {
                "errorCode": "400.002.05",
                "errorMessage": "Invalid Request Payload",
            }
        keys = {
            k: str
            for k in (
                "Initiator",
                "SecurityCredential",
                "CommandID",
                "PartyA",
                "IdentifierType",
                "Remarks",
                "QueueTimeOutURL",
                "ResultURL",
            )
        }
        problems = self._check(payload, keys)
        if payload.get("CommandID") != "AccountBalance":
            problems.append("CommandID is not AccountBalance")
        if payload.get("IdentifierType") != "4":
            problems.append("IdentifierType is not 4 (shortcode)")
        if problems:
            self.violation(f"AccountBalance: {problems}")
            return 400, {"errorCode": "400.002.02", "errorMessage": "; ".join(problems)}
        originator = str(uuid.uuid4())
        conversation = f"AG_{uuid.uuid4().hex[:20]}"
        self.conversations[originator] = conversation
        fault = self.balance_faults.pop(0) if self.balance_faults else None
        result = {
            "ResultType": 0,
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "OriginatorConversationID": originator,
            "ConversationID": conversation,
            "TransactionID": f"O{uuid.uuid4().hex[:9].upper()}",
            "ReferenceData": {
                "ReferenceItem": {
                    "Key": "QueueTimeoutURL",
                    "Value": payload["QueueTimeOutURL"],
                }
            },
        }
        if fault == "timeout":
            result.update(ResultCode=1, ResultDesc="Request timed out in the queue")
            self.queue_callback(payload["QueueTimeOutURL"], {"Result": result})
        elif fault == "fail":
            result.update(
                ResultCode=2001, ResultDesc="The initiator information is invalid."
            )
            self.queue_callback(payload["ResultURL"], {"Result": result})
        else:
            value = "&".join(
                f"{name}|{self.currency}|{current}|{available}|0.00|0.00"
                for name, (current, available) in self.accounts.items()
            )
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "AccountBalance", "Value": value},
                    {"Key": "BOCompletedTime", "Value": _eat_now()},
                ]
            }
            self.queue_callback(payload["ResultURL"], {"Result": result})
        return 200, {
            "OriginatorConversationID": originator,
            "ConversationID": conversation,
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        }

    def _status_result(self, original, occasion):
        known = self.payments.get(original)
        result = {
            "ResultType": 0,
            # A query Daraja cannot answer gets a non-zero ResultCode about the
            # query, e.g. 2001 "The initiator information is invalid." (as
            # reported by Daraja users: dkiptugen/mpesa-php-full-integration#1);
            # it says nothing about the payment.
            "ResultCode": 0 if known else 2001,
            "ResultDesc": "The service request is processed successfully."
            if known
            else "The initiator information is invalid.",
            "OriginatorConversationID": str(uuid.uuid4()),
            "ConversationID": f"AG_{uuid.uuid4().hex[:20]}",
            "TransactionID": "",
            "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": occasion}},
        }
        if known:
            receipt, state, amount = known
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "TransactionStatus", "Value": state},
                    {"Key": "ReceiptNo", "Value": receipt or ""},
                    {"Key": "Amount", "Value": amount},
                    {"Key": "OriginatorConversationID", "Value": original},
                ]
            }
        return {"Result": result}

    def late_success(self, key):
        """Fault: M-Pesa pays the request ``key`` it had reported failed, and
        sends its success Result to the request's ResultURL."""
        payload = self.sent[key]
        receipt = f"S{uuid.uuid4().hex[:9].upper()}"
        self.payments[key] = (receipt, "Completed", payload["Amount"])
        self.paid[key] = self.paid.get(key, 0) + 1
        result = _result(
            "0",
            "The service request is processed successfully.",
            key,
            self.conversations[key],
            receipt,
            payload,
        )
        self.queue_callback(payload["ResultURL"], result)
        return receipt

    def paid_twice(self):
        return [key for key, n in self.paid.items() if n > 1]


def _eat_now():
    """Now as Daraja's BOCompletedTime says it: YYYYMMDDHHMMSS in Nairobi."""
    local = datetime.now(UTC) + mpesa.EAT_OFFSET
    return int(local.strftime("%Y%m%d%H%M%S"))


def _result(code, description, key, conversation, receipt, payload):
    result = {
        "ResultType": 0,
        # Documented as a number, sent as a string for codes such as SFC_IC0003.
        "ResultCode": int(code) if code.isdigit() else code,
        "ResultDesc": description,
        "OriginatorConversationID": key,
        "ConversationID": conversation,
        "TransactionID": receipt or "",
        "ReferenceData": {
            "ReferenceItem": {
                "Key": "QueueTimeoutURL",
                "Value": payload["QueueTimeOutURL"],
            }
        },
    }
    if receipt:
        result["ResultParameters"] = {
            "ResultParameter": [
                {"Key": "TransactionAmount", "Value": int(payload["Amount"])},
                {"Key": "TransactionReceipt", "Value": receipt},
                {"Key": "ReceiverPartyPublicName", "Value": f"{payload['PartyB']} - X"},
                {"Key": "TransactionCompletedDateTime", "Value": "06.07.2026 22:48:52"},
                {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
            ]
        }
    return {"Result": result}
