# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Callback authentication that needs no database.

No secret ever travels in a callback URL: the URL names the FSP by a public,
non-secret id, and the callback proves who sent it by an HMAC-SHA256 of its
raw body keyed with the FSP's callback secret (header ``X-SPP-Signature:
sha256=<hex>``), or by the FSP protocol's own means when the FSP cannot be told
to add a header (G2P Connect message signatures, Daraja conversation pairs,
see the connectors). Request logs print URLs, never headers, so the secret and
its MACs stay out of them.
"""

import hashlib
import hmac
import ipaddress
import re

SIGNATURE_HEADER = "X-SPP-Signature"
SIGNATURE_PREFIX = "sha256="
# 1 MiB: far above any callback the supported FSPs send (a G2P Connect
# callback for a 500-payment message is about 150 KB).
MAX_BODY = 1024 * 1024
# Public ids are ours (secrets.token_hex); anything else is no FSP of ours.
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def sign(secret, raw):
    """The ``X-SPP-Signature`` value of the body ``raw`` (bytes)."""
    digest = hmac.new(_bytes(secret), raw, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signature_matches(secret, raw, header):
    """True when ``header`` is the HMAC of ``raw`` by ``secret``: compared in
    constant time, on bytes (a non-ASCII header can neither crash nor match)."""
    if not secret or not header:
        return False
    expected = sign(secret, raw).encode("ascii")
    # HTTP header values arrive decoded as latin-1: encode them back the same way.
    received = str(header).strip().encode("latin-1", "replace")
    return hmac.compare_digest(expected, received)


def same_bytes(expected, received):
    """Constant-time equality of two texts, on their UTF-8 bytes."""
    if not isinstance(expected, str) or not isinstance(received, str):
        return False
    return hmac.compare_digest(
        expected.encode("utf-8", "replace"), received.encode("utf-8", "replace")
    )


def is_public_id(value):
    """True for a well-formed public id or URL kind (ASCII letters, digits,
    ``-`` and ``_``); anything else cannot name an FSP."""
    return isinstance(value, str) and bool(_PUBLIC_ID.fullmatch(value))


def parse_networks(text):
    """The networks of an allow-list ("196.201.214.0/24, 10.0.0.1"); raises
    ValueError naming the first entry that is not an address or network."""
    networks = []
    for entry in re.split(r"[\s,;]+", text or ""):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ValueError(f"not an IP address or network: {entry!r}") from error
    return networks


def address_allowed(remote_addr, allow_list):
    """True when no allow-list is set, or ``remote_addr`` is in it."""
    networks = parse_networks(allow_list)
    if not networks:
        return True
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return False
    return any(address in network for network in networks)


def _bytes(secret):
    return secret if isinstance(secret, bytes) else str(secret).encode("utf-8")
