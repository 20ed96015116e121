# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Safaricom M-Pesa Daraja B2C v3: requests, results, state mapping.

One request per beneficiary. ``OriginatorConversationID`` is our attempt's
idempotency key: Daraja refuses a second request with it (``500.002.1001``), so a
re-sent request never pays twice. Results arrive at the ResultURL; a request that
timed out in M-Pesa's queue is reported at the QueueTimeOutURL. Result codes are
strings (``SFC_IC0003`` exists); dates are ``DD.MM.YYYY HH:MM:SS``.
"""

import base64
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from . import states
from .outcomes import Outcome

B2C_PATH = "/mpesa/b2c/v3/paymentrequest"
STATUS_PATH = "/mpesa/transactionstatus/v1/query"
REVERSAL_PATH = "/mpesa/reversal/v1/request"
BALANCE_PATH = "/mpesa/accountbalance/v1/query"
# The account of the shortcode that B2C payments draw on (Daraja's B2C
# shortcodes pay from their Utility Account; the Working Account takes
# collections).
BALANCE_ACCOUNT = "Utility Account"
TOKEN_PATH = "/oauth/v1/generate?grant_type=client_credentials"
DUPLICATE = "500.002.1001"
EAT_OFFSET = timedelta(hours=3)
# Daraja's synchronous error codes and what each says about our request
# (research/fsp-protocols.md §3.2, from the Daraja v3 B2C "Error codes" table):
#   rejected  - refused before processing: nothing was paid, a retry is safe;
#   token     - our access token or its header was refused: renew it once;
#   throttled - spike arrest or quota: the request was not taken, same id later;
#   unknown   - a server error: it may or may not have been taken, so the
#               payment stays unknown until a status query answers.
SYNC_ERRORS = {
    "400.002.02": "rejected",  # Bad Request - Invalid <field>
    "400.002.05": "rejected",  # Invalid Request Payload
    "401.002.01": "token",  # Error Occurred - Invalid Access Token
    "404.001.03": "token",  # Invalid Access Token
    "400.003.01": "token",  # Invalid Access Token
    "404.001.04": "token",  # Invalid Authentication Header
    "500.003.02": "throttled",  # Error Occurred: Spike Arrest Violation
    "500.003.03": "throttled",  # Error Occurred: Quota Violation
    # Internal Server Error; also sent for wrong credentials and "unable to lock
    # subscriber": which one it was is not ours to guess.
    "500.001.1001": "unknown",
    "500.003.1001": "unknown",  # Internal Server Error
    # Documented for a duplicate OriginatorConversationID, but Daraja answers
    # the same code for generic server errors ("Server Error", "Service is
    # currently under maintenance"), so its errorMessage decides: see
    # _is_duplicate.
    DUPLICATE: "unknown",
}
THROTTLED = frozenset(c for c, v in SYNC_ERRORS.items() if v == "throttled")
TOKEN_ERRORS = frozenset(c for c, v in SYNC_ERRORS.items() if v == "token")
COMMANDS = ("SalaryPayment", "BusinessPayment", "PromotionPayment")
MSISDN = re.compile(r"^2547\d{8}$|^2541\d{8}$")
# TransactionStatus of a status query -> our state
QUERY_STATUS = {
    "Completed": states.PAID,
    "Reversed": states.REVERSED,
    "Failed": states.FAILED,
    "Cancelled": states.FAILED,
    "Pending": states.PROCESSING,
}


class MpesaError(ValueError):
    """A message that breaks the Daraja protocol."""


@dataclass(frozen=True)
class Config:
    shortcode: str
    initiator: str
    security_credential: str
    result_url: str
    timeout_url: str
    command: str = "BusinessPayment"


def msisdn(phone):
    """Daraja's 2547XXXXXXXX form of an E.164 Kenyan number."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0") and len(digits) == 10:
        digits = "254" + digits[1:]
    if not MSISDN.match(digits):
        raise MpesaError(f"{phone!r} is not a Kenyan mobile number")
    return digits


def whole_amount(amount):
    """M-Pesa pays whole shillings: an amount with cents cannot be sent."""
    value = Decimal(str(amount))
    if value != value.to_integral_value() or value <= 0:
        raise MpesaError(f"M-Pesa pays whole positive amounts, not {amount}")
    return int(value)


def security_credential(password, certificate_pem):
    """base64(RSA PKCS#1 v1.5(initiator password)) with M-Pesa's certificate."""
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415

    data = (
        certificate_pem.encode()
        if isinstance(certificate_pem, str)
        else certificate_pem
    )
    try:
        public_key = x509.load_pem_x509_certificate(data).public_key()
    except ValueError:
        from cryptography.hazmat.primitives.serialization import (  # noqa: PLC0415
            load_pem_public_key,
        )

        public_key = load_pem_public_key(data)
    encrypted = public_key.encrypt(password.encode(), padding.PKCS1v15())
    return base64.b64encode(encrypted).decode()


def b2c_request(config, key, amount, phone, remarks):
    return {
        "OriginatorConversationID": key,
        "InitiatorName": config.initiator,
        "SecurityCredential": config.security_credential,
        "CommandID": config.command,
        "Amount": whole_amount(amount),
        "PartyA": config.shortcode,
        "PartyB": msisdn(phone),
        "Remarks": (remarks or "Social protection payment")[:100].ljust(2, "."),
        "QueueTimeOutURL": config.timeout_url,
        "ResultURL": config.result_url,
    }


def status_request(config, key):
    """A transaction status query for the payment sent under ``key``; the key
    travels in ``Occasion`` and comes back in the result's ReferenceData."""
    return {
        "Initiator": config.initiator,
        "SecurityCredential": config.security_credential,
        "CommandID": "TransactionStatusQuery",
        "OriginalConversationID": key,
        "PartyA": config.shortcode,
        "IdentifierType": "4",
        "ResultURL": config.result_url,
        "QueueTimeOutURL": config.timeout_url,
        "Remarks": "Status of a social protection payment",
        "Occasion": key,
    }


def balance_request(config):
    """An AccountBalance query of the shortcode; the answer comes by Result
    callback to ``config.result_url`` (or the queue timeout URL)."""
    return {
        "Initiator": config.initiator,
        "SecurityCredential": config.security_credential,
        "CommandID": "AccountBalance",
        "PartyA": config.shortcode,
        "IdentifierType": "4",
        "Remarks": "Balance before a social protection payroll",
        "QueueTimeOutURL": config.timeout_url,
        "ResultURL": config.result_url,
    }


@dataclass(frozen=True)
class Balance:
    """What an AccountBalance Result says: ``amount`` (the available balance
    of ``account``, exact) or, for a failed query, ``amount`` None and the
    ``reason``."""

    amount: Decimal | None
    currency: str | None
    account: str
    completed: datetime | None
    reason: str | None = None
    code: str = "0"


def parse_balance_result(payload, account=BALANCE_ACCOUNT, kind="result"):
    """The Balance an AccountBalance Result (or its queue timeout) reports.

    The AccountBalance value lists the shortcode's accounts, ``&``-separated,
    each ``name|currency|current|available|reserved|uncleared``; the available
    balance of ``account`` is what a payroll can draw on. MpesaError for
    anything that is not such a Result."""
    try:
        result = payload["Result"]
        code = str(result["ResultCode"])
    except (KeyError, TypeError) as error:
        raise MpesaError("not a Daraja Result notification") from error
    if not isinstance(result, dict):
        raise MpesaError("not a Daraja Result notification")
    description = str(result.get("ResultDesc") or "")
    if kind == "timeout":
        return Balance(None, None, account, None, f"queue timeout: {description}", code)
    if code != "0":
        return Balance(None, None, account, None, f"{code} {description}".strip(), code)
    params = _parameters(result)
    value = params.get("AccountBalance")
    if not isinstance(value, str) or not value:
        raise MpesaError("an AccountBalance Result without AccountBalance")
    accounts = {}
    for entry in value.split("&"):
        fields = entry.split("|")
        if len(fields) != 6:
            raise MpesaError(f"AccountBalance entry {entry[:60]!r} has not 6 fields")
        accounts[fields[0].strip()] = fields
    if account not in accounts:
        raise MpesaError(
            f"no {account!r} in AccountBalance ({', '.join(sorted(accounts))})"
        )
    _name, currency, _current, available, _reserved, _uncleared = accounts[account]
    problem = f"{account} balance {available[:30]!r} is no amount"
    try:
        amount = Decimal(available.strip())
    except ArithmeticError as error:
        raise MpesaError(problem) from error
    if not amount.is_finite():
        raise MpesaError(problem)
    return Balance(
        amount,
        currency.strip() or None,
        account,
        _completed_time(params.get("BOCompletedTime")),
    )


def _completed_time(value):
    """Daraja's BOCompletedTime (YYYYMMDDHHMMSS, a number or a string, in
    East Africa Time, UTC+3) as a naive UTC datetime, or None."""
    text = str(value or "").strip()
    try:
        local = datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return local - EAT_OFFSET


def parse_response(status, body):
    """("accepted" | "duplicate" | "throttled" | "token" | "rejected" |
    "unknown", detail) of the synchronous answer to a B2C or status request.
    "unknown": the request may have been taken (a server error, an unmapped
    code); never read as a refusal, which a retry would pay again."""
    body = body if isinstance(body, dict) else {}
    if status == 200 and str(body.get("ResponseCode")) == "0":
        return "accepted", body.get("ConversationID") or ""
    code = str(body.get("errorCode") or "")
    message = str(body.get("errorMessage") or body.get("ResponseDescription") or "")
    detail = f"{code} {message}".strip() or f"HTTP {status}"
    if code == DUPLICATE and _is_duplicate(message):
        return "duplicate", detail
    if status == 429:
        return "throttled", detail
    if status == 401 and not code:
        return "token", detail
    if code:
        return SYNC_ERRORS.get(code, "unknown"), detail
    return ("unknown" if status >= 500 else "rejected"), detail


def _is_duplicate(message):
    """Daraja's 500.002.1001 means a duplicate OriginatorConversationID only
    when its errorMessage says so ("Duplicate OriginatorConversationID.")."""
    return "duplicate" in message.lower()


def _parameters(result):
    items = (result.get("ResultParameters") or {}).get("ResultParameter") or []
    items = items if isinstance(items, list) else [items]
    return {
        item.get("Key"): item.get("Value") for item in items if isinstance(item, dict)
    }


def _reference(result, key):
    items = (result.get("ReferenceData") or {}).get("ReferenceItem") or []
    items = items if isinstance(items, list) else [items]
    for item in items:
        if isinstance(item, dict) and item.get("Key") == key:
            return item.get("Value")
    return None


def parse_result(payload, kind="result"):
    """The Outcome a Result (or queue timeout) notification reports."""
    try:
        result = payload["Result"]
        code = str(result["ResultCode"])
    except (KeyError, TypeError) as error:
        raise MpesaError("not a Daraja Result notification") from error
    params = _parameters(result)
    if kind == "timeout":
        key = result.get("OriginatorConversationID")
        if not key:
            raise MpesaError("a timeout notification without OriginatorConversationID")
        return Outcome(
            key, states.UNKNOWN, "queue timeout", code, result.get("ResultDesc")
        )
    if "TransactionStatus" in params or _reference(result, "Occasion"):
        return _status_outcome(result, params, code)
    key = result.get("OriginatorConversationID")
    if not key:
        raise MpesaError("a Result without OriginatorConversationID")
    state = states.map_fsp_status("mpesa", code)
    amount = params.get("TransactionAmount")
    return Outcome(
        key=key,
        state=state,
        raw_status=code,
        reason_code=None if code == "0" else code,
        reason=result.get("ResultDesc"),
        receipt=params.get("TransactionReceipt") or result.get("TransactionID") or None,
        amount=Decimal(str(amount)) if amount is not None and code == "0" else None,
        fsp_ref=result.get("ConversationID"),
    )


def _status_outcome(result, params, code):
    key = _reference(result, "Occasion")
    if not key:
        raise MpesaError("a status result without our key in ReferenceData")
    if code != "0":
        # The query itself failed (Daraja answers e.g. 2001 "The initiator
        # information is invalid." or SFC_IC0003 to a Transaction Status query):
        # it tells nothing about the payment, which stays unknown until a
        # TransactionStatus answers or a Finance Manager decides.
        return Outcome(
            key,
            states.UNKNOWN,
            f"status query {code}",
            code,
            result.get("ResultDesc"),
        )
    status = str(params.get("TransactionStatus") or "")
    state = QUERY_STATUS.get(status, states.UNKNOWN)
    amount = params.get("Amount")
    return Outcome(
        key=key,
        state=state,
        raw_status=status,
        reason=result.get("ResultDesc"),
        receipt=params.get("ReceiptNo") or None,
        amount=_amount(amount) if state == states.PAID else None,
    )


def _amount(value):
    """A reported amount, or None when Daraja sent none we can read."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None
