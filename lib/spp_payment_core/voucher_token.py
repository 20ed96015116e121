"""Voucher tokens (what the QR carries) and typed codes, without a database.

A token is ``<payload>.<signature>``, both base64url without padding: the payload
is compact JSON with sorted keys (``a`` amount, ``c`` currency, ``e`` last valid
day, ``i`` voucher id, ``k`` key id, ``s`` secret code, ``v`` version), the
signature Ed25519 over the payload bytes. Anyone with the public key verifies it
offline. The secret code is 10 Crockford base32 characters (50 bits), derived
from a program secret and the voucher id, so it can be printed at any time and
never stored: the database keeps its SHA-256 only.
"""

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

VERSION = 1
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CODE_LENGTH = 10  # 50 bits
CODE_BITS = 5 * CODE_LENGTH
# Letters a person may type for a digit (Crockford's decoding rules).
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = re.compile(r"[\s\-]")
CLAIMS = ("a", "c", "e", "i", "k", "s", "v")

MALFORMED = "malformed"
UNKNOWN_KEY = "unknown key"
BAD_SIGNATURE = "bad signature"
TAMPERED = "tampered payload"
EXPIRED = "expired"


class TokenError(ValueError):
    """A token or code that cannot be accepted; ``reason`` is one of
    MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE, TAMPERED, EXPIRED."""

    def __init__(self, reason, detail=""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


# base64url ------------------------------------------------------------------


def b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text):
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise TokenError(MALFORMED, "not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise TokenError(MALFORMED, "not base64url") from error


# Keys -----------------------------------------------------------------------


def new_keypair():
    """(private key, public key), raw 32 bytes each, base64url."""
    private = Ed25519PrivateKey.generate()
    return _raw_private(private), public_of(_raw_private(private))


def _raw_private(private):
    return b64encode(
        private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    )


def public_of(private_key):
    """The raw public key (base64url) of a raw private key (base64url)."""
    private = Ed25519PrivateKey.from_private_bytes(b64decode(private_key))
    return b64encode(
        private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    )


def new_kid():
    return secrets.token_hex(8)


# Codes ----------------------------------------------------------------------


def new_secret():
    """A program's code secret: 32 random bytes, hex."""
    return secrets.token_hex(32)


def _encode_bits(number):
    return "".join(
        ALPHABET[(number >> (CODE_BITS - 5 * (n + 1))) & 31] for n in range(CODE_LENGTH)
    )


def new_code():
    """A random code (for codes not derived from a voucher id)."""
    return _encode_bits(secrets.randbits(CODE_BITS))


def derive_code(secret, voucher_id):
    """The voucher's code: the first 50 bits of HMAC-SHA256(secret, id)."""
    digest = hmac.new(
        bytes.fromhex(secret), str(int(voucher_id)).encode(), hashlib.sha256
    ).digest()
    return _encode_bits(int.from_bytes(digest[:8], "big") >> (64 - CODE_BITS))


def hmac_pads(secret):
    """(inner, outer) keys of HMAC-SHA256 for ``secret`` (RFC 2104): with
    them, sha256(outer || sha256(inner || message)) is the HMAC, which a
    database computes with its plain sha256() (see the voucher generation)."""
    key = bytes.fromhex(secret)
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def normalize_code(text):
    """The code as stored: dashes and spaces dropped, upper case, O read as
    0 and I/L as 1. Raises TokenError(MALFORMED) when it is not a code."""
    if not isinstance(text, str):
        raise TokenError(MALFORMED, "a code is text")
    code = _IGNORED.sub("", text).upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        raise TokenError(MALFORMED, f"a code has {CODE_LENGTH} base32 characters")
    return code


def format_code(code):
    code = normalize_code(code)
    return f"{code[:5]}-{code[5:]}"


def code_hash(code):
    """SHA-256 (hex) of the normalized code: all the database keeps."""
    return hashlib.sha256(normalize_code(code).encode("ascii")).hexdigest()


# Tokens ---------------------------------------------------------------------


def canonical(claims):
    return json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()


def signing_key(private_key):
    """The loaded key of a raw private key (base64url), for signing many
    tokens with one key (loading it derives its public half: as costly as a
    signature)."""
    return Ed25519PrivateKey.from_private_bytes(b64decode(private_key))


def encode_token(private_key, kid, voucher_id, amount, currency, expiry, code):
    """The signed token. ``private_key`` is the raw key (base64url) or its
    ``signing_key``; ``amount`` is text with the currency's decimals,
    ``expiry`` the last valid day (date or ISO text), ``code`` the secret code."""
    claims = {
        "a": str(amount),
        "c": currency,
        "e": expiry.isoformat() if isinstance(expiry, datetime.date) else expiry,
        "i": int(voucher_id),
        "k": kid,
        "s": normalize_code(code),
        "v": VERSION,
    }
    _check_claims_shape(claims)
    payload = canonical(claims)
    if not isinstance(private_key, Ed25519PrivateKey):
        private_key = signing_key(private_key)
    return f"{b64encode(payload)}.{b64encode(private_key.sign(payload))}"


def looks_like_token(text):
    return isinstance(text, str) and "." in text


def decode_token(token, public_keys_by_kid):
    """The claims of a token whose signature verifies under the key it names
    (``public_keys_by_kid``: kid -> raw public key, base64url). Raises
    TokenError: MALFORMED, UNKNOWN_KEY or BAD_SIGNATURE (a payload changed
    after signing, or signed by another key)."""
    if not isinstance(token, str) or token.count(".") != 1:
        raise TokenError(MALFORMED, "a token is <payload>.<signature>")
    payload_text, signature_text = token.strip().split(".")
    payload, signature = b64decode(payload_text), b64decode(signature_text)
    try:
        claims = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise TokenError(MALFORMED, "the payload is not JSON") from error
    _check_claims_shape(claims)
    public_key = public_keys_by_kid.get(claims["k"])
    if not public_key:
        raise TokenError(UNKNOWN_KEY, f"key {claims['k']} is unknown or revoked")
    if len(signature) != 64:
        raise TokenError(MALFORMED, "an Ed25519 signature has 64 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(b64decode(public_key)).verify(
            signature, payload
        )
    except (InvalidSignature, ValueError) as error:
        raise TokenError(
            BAD_SIGNATURE, "the signature does not match the payload"
        ) from error
    return claims


def _check_claims_shape(claims):
    if not isinstance(claims, dict) or sorted(claims) != sorted(CLAIMS):
        raise TokenError(MALFORMED, f"the payload has exactly {', '.join(CLAIMS)}")
    if claims["v"] != VERSION:
        raise TokenError(MALFORMED, f"version {claims['v']!r} is not {VERSION}")
    if isinstance(claims["i"], bool) or not isinstance(claims["i"], int):
        raise TokenError(MALFORMED, "the voucher id is an integer")
    for name in ("a", "c", "e", "k", "s"):
        if not isinstance(claims[name], str) or not claims[name]:
            raise TokenError(MALFORMED, f"{name} is text")
    try:
        datetime.date.fromisoformat(claims["e"])
    except ValueError as error:
        raise TokenError(MALFORMED, "the expiry is an ISO date") from error
    normalize_code(claims["s"])


def check_claims(claims, expected, today=None):
    """Compare verified claims with the voucher they name (``expected``: the
    record's ``a``, ``c``, ``e``, ``i`` and its code hash ``h``). A mismatch is
    TAMPERED (the signature verified, yet the record says otherwise: a forged
    token under a leaked key, or a token of another voucher's code); past
    ``e`` on ``today`` is EXPIRED."""
    for name in ("a", "c", "e", "i"):
        if str(claims[name]) != str(expected[name]):
            raise TokenError(TAMPERED, f"{name} differs from the voucher")
    if not hmac.compare_digest(code_hash(claims["s"]), expected["h"] or ""):
        raise TokenError(TAMPERED, "the code is not the voucher's")
    if today is not None and today > datetime.date.fromisoformat(claims["e"]):
        raise TokenError(EXPIRED, f"valid until {claims['e']}")
    return claims
