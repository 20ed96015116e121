# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""G2P Connect disbursement API v1.0.0: messages, validation, state mapping.

Messages are validated against the official OpenAPI (vendored in ``specs/``) with
its published defects corrected (see :func:`_patched_spec`): the ``disburemsents``
typo in ``DisburseRequest.required``, the per-path ``action`` enums, the
FinancialAddress regex put in ``format`` instead of ``pattern``.
"""

import base64
import functools
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from .money import round_money

SPEC = Path(__file__).parent / "specs" / "disburse_core_api_v1.0.0.yaml"
VERSION = "1.0.0"
# Item and callback statuses -> payment outcome (see fsp-protocols.md §2.5).
STATUS_OUTCOME = {
    "rcvd": "accepted",
    "pdng": "processing",
    "succ": "paid",
    "rjct": "rejected",
}
# Acks that mean the message was not taken and may be sent again as is.
TRANSIENT_ERRORS = frozenset(
    {
        "err.request.timeout",
        "err.request.too_many_requests",
        "err.service.unavailable",
    }
)
FA_PATTERN = r"^[^@\s]+@[A-Za-z0-9.-]+$"


class G2pConnectError(ValueError):
    """A message that breaks the protocol."""


@dataclass(frozen=True)
class Item:
    reference_id: str
    amount: Decimal
    payee_fa: str
    payee_name: str = ""
    currency: str = ""
    note: str = ""


@dataclass(frozen=True)
class ItemStatus:
    reference_id: str
    status: str
    outcome: str | None
    reason_code: str | None
    reason_message: str | None


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def amount_text(amount):
    """Amounts travel as strings with two decimals ("100.00", never "100")."""
    return f"{round_money(amount, 2):f}"


def financial_address(kind, value, provider):
    """``kind:value@provider``, e.g. ``mobile:254700000001@mpesa``."""
    return f"{kind}:{value}@{provider}"


def header(action, message_id, sender_id, total_count, sender_uri=None, receiver=None):
    result = {
        "version": VERSION,
        "message_id": message_id,
        "message_ts": now_iso(),
        "action": action,
        "sender_id": sender_id,
        "total_count": total_count,
    }
    if sender_uri:
        result["sender_uri"] = sender_uri
    if receiver:
        result["receiver_id"] = receiver
    return result


def disburse_request(transaction_id, items, *, payer_fa, payer_name, purpose):
    return {
        "transaction_id": transaction_id,
        "disbursements": [
            {
                "reference_id": item.reference_id,
                "payer_fa": payer_fa,
                "payee_fa": item.payee_fa,
                "amount": amount_text(item.amount),
                "payer_name": payer_name,
                "payee_name": item.payee_name[:99] or item.reference_id,
                "purpose": purpose[:99],
                "currency_code": item.currency,
                "note": item.note[:99],
            }
            for item in items
        ],
    }


def envelope(head, message, signer=None):
    """The request body; ``signer(bytes) -> str`` signs header + message."""
    body = {"header": head, "message": message}
    if signer is not None:
        body["signature"] = signer(canonical(head) + canonical(message))
    return body


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def message_id(idempotency_key, chunk_no=0):
    """Transport key of a send: stable across retries of the same bytes."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{idempotency_key}/{chunk_no}"))


def txn_status_request(transaction_id, reference_ids):
    return {
        "transaction_id": transaction_id,
        "txnstatus_request": {
            "reference_id": str(uuid.uuid4()),
            "txn_type": "disburse",
            "attribute_type": "reference_id_list",
            "attribute_value": list(reference_ids),
        },
    }


# Parsing -----------------------------------------------------------------------


def parse_ack(body):
    """(ack_status, correlation_id, error code) of a synchronous answer."""
    try:
        message = body["message"]
        status = message["ack_status"]
    except (KeyError, TypeError) as error:
        raise G2pConnectError(f"not a G2P Connect ack: {body!r:.200}") from error
    if status not in ("ACK", "NACK", "ERR"):
        raise G2pConnectError(f"unknown ack_status {status!r}")
    code = (message.get("error") or {}).get("code")
    return status, message.get("correlation_id"), code


def parse_statuses(message):
    """Item statuses of a DisburseResponse (callback or status query)."""
    try:
        items = message["disbursements_status"]
    except (KeyError, TypeError) as error:
        raise G2pConnectError("no disbursements_status in the message") from error
    result = []
    for item in items:
        status = item.get("status")
        if status not in STATUS_OUTCOME or not item.get("reference_id"):
            raise G2pConnectError(f"bad disbursement status item: {item!r:.200}")
        result.append(
            ItemStatus(
                reference_id=item["reference_id"],
                status=status,
                outcome=STATUS_OUTCOME[status],
                reason_code=item.get("status_reason_code"),
                reason_message=item.get("status_reason_message"),
            )
        )
    return result


def parse_callback(body):
    """(header, item statuses) of an ``/on-disburse`` callback, validated."""
    errors = validate("/on-disburse", body)
    if errors:
        raise G2pConnectError("; ".join(errors[:3]))
    head = body["header"]
    if head.get("status") == "rjct" and not body.get("message"):
        return head, []
    return head, parse_statuses(body.get("message") or {})


def parse_txn_status(body):
    """Item statuses of a ``/disburse/txn/on-status`` or sync status answer."""
    try:
        txn = body["message"]["txnstatus_response"]["txn_status"]
    except (KeyError, TypeError) as error:
        raise G2pConnectError("no txnstatus_response in the message") from error
    return parse_statuses(txn)


# Validation ----------------------------------------------------------------------


@functools.cache
def _patched_spec():
    import yaml  # noqa: PLC0415

    spec = yaml.safe_load(SPEC.read_text())
    schemas = spec["components"]["schemas"]
    # Defect 1: a typo makes every valid /disburse message fail.
    schemas["DisburseRequest"]["required"] = ["transaction_id", "disbursements"]
    # Defect 3: the FinancialAddress regex sits in "format", so it is never checked.
    schemas["cdpi_FinancialAddress"].pop("format", None)
    schemas["cdpi_FinancialAddress"]["pattern"] = FA_PATTERN
    # Defect 2: per-path action enums are wrong on some paths; actions are checked
    # by validate() itself instead.
    for path in spec["paths"].values():
        body = path["post"].get("requestBody", {}).get("content", {})
        schema = body.get("application/json", {}).get("schema", {})
        head = schema.get("properties", {}).get("header", {})
        if "allOf" in head:
            head["allOf"] = head["allOf"][:1]
    return spec


ACTIONS = {
    "/disburse": "disburse",
    "/on-disburse": "on-disburse",
    "/disburse/txn/status": "txn-status",
    "/disburse/sync/disburse": "disburse",
}
MESSAGES = {
    "/disburse": "DisburseRequest",
    "/on-disburse": "DisburseResponse",
    "/disburse/txn/status": "TxnStatusRequest",
    "/disburse/sync/disburse": "DisburseRequest",
}


@functools.cache
def _validator(pointer):
    from jsonschema import Draft4Validator, FormatChecker  # noqa: PLC0415

    spec = _patched_spec()
    # Draft 4: a $ref replaces its siblings, so the whole spec is the root that
    # "#/components/..." references resolve in.
    return Draft4Validator(
        dict(spec, **{"$ref": pointer}), format_checker=FormatChecker()
    )


@functools.cache
def _compiled(pointer):
    """The same schema compiled to Python by fastjsonschema, once per process
    (tens of times faster than walking it for each of a message's thousand
    disbursements); None without fastjsonschema."""
    try:
        import fastjsonschema  # noqa: PLC0415
    except ImportError:
        return None
    check = fastjsonschema.compile(dict(_patched_spec(), **{"$ref": pointer}))

    def valid(value):
        try:
            check(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return valid


def _schema_errors(pointer, value, prefix=""):
    """The errors of ``value`` against ``pointer``: the compiled check answers
    for a valid value; jsonschema lists every error of any other one (it is
    the reference: a value only the compiled check refuses is valid)."""
    compiled = _compiled(pointer)
    if compiled is not None and compiled(value):
        return []
    errors = []
    for error in _validator(pointer).iter_errors(value):
        where = "/".join(str(part) for part in error.absolute_path)
        where = prefix + where if prefix else where or "body"
        errors.append(f"{where}: {error.message}")
    return errors


def validate(path, body):
    """Errors of a request ``body`` to ``path`` against the patched spec."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"#/paths/{escaped}/post/requestBody/content/application~1json/schema"
    errors = _schema_errors(pointer, body)
    message = body.get("message") if isinstance(body, dict) else None
    if path in MESSAGES and isinstance(message, dict) and "ciphertext" not in message:
        ref = f"#/components/schemas/{MESSAGES[path]}"
        errors += _schema_errors(ref, message, "message/")
    head = body.get("header") if isinstance(body, dict) else None
    if isinstance(head, dict) and head.get("action") != ACTIONS.get(path):
        errors.append(f"header/action: {head.get('action')!r} on {path}")
    return errors


# Signing -------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def ed25519_signer(private_key_bytes, key_id):
    """A signer producing the spec's ``Signature:`` string with Ed25519."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )

    key = Ed25519PrivateKey.from_private_bytes(private_key_bytes)

    def sign(content):
        created = int(datetime.now(timezone.utc).timestamp())
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        signed = f"(created): {created}\n(expires): {created + 3600}\ndigest: {digest}"
        signature = base64.b64encode(key.sign(signed.encode())).decode()
        return (
            f'Signature: namespace="g2p", kidId="{key_id}|ed25519", '
            f'algorithm="ed25519", created="{created}", expires="{created + 3600}", '
            f'headers="(created) (expires) digest", signature="{signature}", '
            f'digest="{digest}"'
        )

    return sign


def verify_ed25519(signature_header, content, public_key_bytes):
    """True when ``signature_header`` signs ``content`` with the given key."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PublicKey,
    )

    fields = dict(
        part.strip().split("=", 1)
        for part in signature_header.removeprefix("Signature:").split(",")
        if "=" in part
    )
    fields = {k.strip(): v.strip().strip('"') for k, v in fields.items()}
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    if fields.get("digest") != digest:
        return False
    signed = (
        f"(created): {fields.get('created')}\n(expires): {fields.get('expires')}\n"
        f"digest: {digest}"
    )
    try:
        Ed25519PublicKey.from_public_bytes(public_key_bytes).verify(
            base64.b64decode(fields.get("signature", "")), signed.encode()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.lru_cache(maxsize=64)
def jws_signer(private_key_pem, key_id):
    """A signer producing a compact JWS with a detached payload (RFC 7515
    appendix F), RS256: ``<protected header>..<signature>``. Signers are
    kept per key (loading a PEM key costs more than a signature)."""
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415

    key = serialization.load_pem_private_key(_bytes(private_key_pem), password=None)
    protected = _b64url(canonical({"alg": "RS256", "kid": key_id}))

    def sign(content):
        signing_input = f"{protected}.{_b64url(content)}".encode()
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{protected}..{_b64url(signature)}"

    return sign


def verify_jws(token, content, public_key_pem):
    """True when the detached compact JWS ``token`` signs ``content`` (RS256)."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415

    try:
        protected, payload, signature = token.split(".")
        header = json.loads(_b64url_decode(protected))
        key = serialization.load_pem_public_key(_bytes(public_key_pem))
        if payload or header.get("alg") != "RS256":
            return False
        key.verify(
            _b64url_decode(signature),
            f"{protected}.{_b64url(content)}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        return False
    return True


def _bytes(value):
    return value.encode() if isinstance(value, str) else value
