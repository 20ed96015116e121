import hashlib
import hmac

import pytest
from spp_payment_core import callbacks

SECRET = "s3cret-key"
BODY = b'{"Result": {"ResultCode": 0}}'


def test_signature_is_hmac_sha256_of_the_raw_body():
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert callbacks.sign(SECRET, BODY) == f"sha256={expected}"
    assert callbacks.signature_matches(SECRET, BODY, f"sha256={expected}")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=00",
        callbacks.sign("other-secret", BODY),
        callbacks.sign(SECRET, BODY + b" "),
        "sha256=é" + "0" * 63,  # non-ASCII: refused, never a crash
        SECRET,  # the secret itself is not a signature
    ],
)
def test_wrong_signatures_do_not_match(header):
    assert not callbacks.signature_matches(SECRET, BODY, header)


def test_no_secret_matches_nothing():
    assert not callbacks.signature_matches("", BODY, callbacks.sign("", BODY))


def test_same_bytes_handles_non_ascii_and_non_text():
    assert callbacks.same_bytes("AG_ü1", "AG_ü1")
    assert not callbacks.same_bytes("AG_1", "AG_ü1")
    assert not callbacks.same_bytes("AG_1", None)
    assert not callbacks.same_bytes("AG_1", 1)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a1b2c3d4e5f60708", True),
        ("result", True),
        ("", False),
        ("ü" * 8, False),
        ("a/b", False),
        ("x" * 65, False),
        (None, False),
    ],
)
def test_public_ids(value, ok):
    assert callbacks.is_public_id(value) is ok


def test_address_allow_list():
    allow = "196.201.214.0/24, 10.0.0.7;2001:db8::/32"
    assert callbacks.address_allowed("196.201.214.200", allow)
    assert callbacks.address_allowed("10.0.0.7", allow)
    assert callbacks.address_allowed("2001:db8::1", allow)
    assert not callbacks.address_allowed("10.0.0.8", allow)
    assert not callbacks.address_allowed("not-an-ip", allow)
    assert not callbacks.address_allowed(None, allow)
    assert callbacks.address_allowed("8.8.8.8", "")  # no list: every address


def test_bad_allow_list_entry_is_named():
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        callbacks.parse_networks("10.0.0.1, 10.0.0.300")
