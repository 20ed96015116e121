# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The PPM field app's signed events, checked without a database.

A device signs each cash payment it records with its own ECDSA P-256 key
(WebCrypto, not exportable). The server rebuilds the signed message from the
event as the app sent it, checks the signature with the device's public key,
and follows the device's hash chain: each event names the hash of the one
before it, so a deleted or reordered event shows as a break.
"""

import base64
import binascii
import hashlib
import json
import math
import re
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# Fields of an event, in the order they are signed (see readme/DEVELOP.md).
SIGNED_FIELDS = (
    "client_uuid",
    "seq",
    "payment_id",
    "amount",
    "paid_at",
    "latitude",
    "longitude",
    "accuracy",
    "photo_sha256",
    "prev_hash",
)
_NUMBER_FIELDS = frozenset({"latitude", "longitude", "accuracy"})
_EARTH_RADIUS_M = 6371008.8
_HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")


class SignatureError(ValueError):
    """The key or the signature cannot even be read."""


def js_number(value):
    """``String(x)`` of a JavaScript number, for the numbers the app signs
    (JSON gives them back to Python as int or float): the shortest digits that
    round-trip, laid out as ECMAScript's Number::toString does."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        value = float(value) if abs(value) >= 10**21 else value
        if isinstance(value, int):
            return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr() has the shortest round-tripping digits; take them from there.
    digits, n = _digits_of(repr(abs(value)))  # value = 0.<digits> * 10**n
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp_text = ("+" if e >= 0 else "-") + str(abs(e))
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + exp_text
    return sign + text


def _digits_of(shortest):
    """(significant digits, n) with value = 0.<digits> * 10**n, from a repr."""
    mantissa, _sep, exp = shortest.partition("e")
    exp = int(exp) if exp else 0
    whole, _dot, frac = mantissa.partition(".")
    all_digits = (whole + frac).lstrip("0")
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    n = len(whole) - lead_zeros + exp
    return all_digits.rstrip("0") or "0", n


def event_message(event):
    """The bytes a device signed for ``event`` (a dict as the app sent it)."""
    parts = []
    for name in SIGNED_FIELDS:
        value = event.get(name)
        if name in _NUMBER_FIELDS:
            parts.append(js_number(value))
        elif value is None:
            parts.append("")
        else:
            parts.append(str(value))
    return "|".join(parts).encode()


def event_hash(message):
    """The event's link in the device's chain: the next event's prev_hash."""
    return hashlib.sha256(message).hexdigest()


def load_public_key(spki_b64):
    """A P-256 public key from its SPKI DER, base64; SignatureError otherwise."""
    try:
        key = serialization.load_der_public_key(
            base64.b64decode(spki_b64, validate=True)
        )
    except (ValueError, TypeError, binascii.Error) as error:
        raise SignatureError("not a public key (SPKI DER, base64)") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise SignatureError("the device key must be ECDSA P-256")
    return key


def verify(public_key, message, signature_b64):
    """True when ``signature_b64`` (WebCrypto's 64 raw bytes r||s, base64)
    signs ``message`` with ``public_key`` (a key or its SPKI base64)."""
    if isinstance(public_key, str):
        public_key = load_public_key(public_key)
    try:
        raw = base64.b64decode(signature_b64 or "", validate=True)
    except (ValueError, TypeError, binascii.Error):
        return False
    if len(raw) != 64:
        return False
    der = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    try:
        public_key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def sign_raw(private_key, message):
    """WebCrypto's signature of ``message``: r||s, 64 bytes, base64 (for tests,
    benchmarks and simulators; devices sign in the browser)."""
    from cryptography.hazmat.primitives.asymmetric.utils import (
        decode_dss_signature,
    )

    r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256())))
    return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()


def public_spki_b64(private_key):
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def canonical_json(value):
    """The download's canonical form: sorted keys, no spaces, UTF-8 (the same
    bytes as JavaScript's JSON.stringify of the key-sorted objects)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def digest(payments):
    """SHA-256 hex of the canonical JSON of a download's payments."""
    return hashlib.sha256(canonical_json(payments)).hexdigest()


def is_sha256_hex(text):
    return isinstance(text, str) and bool(_HEX64.match(text))


def photo_sha256(data):
    return hashlib.sha256(data).hexdigest()


def distance_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = (
        math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def outside_radius(point_lat, point_lon, radius_m, lat, lon, accuracy):
    """True when a position is farther from the point than its radius plus
    the position's own accuracy: only then is it surely outside."""
    slack = max(float(accuracy or 0), 0.0)
    return distance_m(point_lat, point_lon, lat, lon) > float(radius_m or 0) + slack


def parse_utc(text):
    """An ISO 8601 instant (``Z`` or an offset required) as a naive UTC
    datetime, the way Odoo stores them; ValueError otherwise."""
    if not isinstance(text, str) or not text:
        raise ValueError("not a timestamp")
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a timestamp needs its time zone (Z)")
    return value.astimezone(UTC).replace(tzinfo=None)


def is_image(data):
    """JPEG, PNG or WebP, by their magic bytes."""
    return (
        data[:3] == b"\xff\xd8\xff"
        or data[:8] == b"\x89PNG\r\n\x1a\n"
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )
