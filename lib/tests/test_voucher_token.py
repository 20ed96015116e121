import datetime
import hashlib
import hmac

import pytest
from spp_payment_core import voucher_token as vt

SECRET = "00" * 31 + "01"


@pytest.fixture
def key():
    private, public = vt.new_keypair()
    return {"private": private, "public": public, "kid": "kid-1"}


def _token(key, **over):
    args = {
        "voucher_id": 1234,
        "amount": "50.00",
        "currency": "KES",
        "expiry": datetime.date(2026, 12, 31),
        "code": vt.derive_code(SECRET, 1234),
        **over,
    }
    return vt.encode_token(key["private"], key["kid"], **args)


def _expected(code=None, **over):
    code = code or vt.derive_code(SECRET, 1234)
    return {
        "a": "50.00",
        "c": "KES",
        "e": "2026-12-31",
        "i": 1234,
        "h": vt.code_hash(code),
        **over,
    }


def test_round_trip_and_contract_layout(key):
    token = _token(key)
    payload_text, signature_text = token.split(".")
    assert "=" not in token
    assert vt.b64decode(payload_text) == (
        b'{"a":"50.00","c":"KES","e":"2026-12-31","i":1234,"k":"kid-1","s":"'
        + vt.derive_code(SECRET, 1234).encode()
        + b'","v":1}'
    )
    assert len(vt.b64decode(signature_text)) == 64
    claims = vt.decode_token(token, {"kid-1": key["public"]})
    assert claims["i"] == 1234 and claims["a"] == "50.00"
    assert vt.check_claims(claims, _expected(), datetime.date(2026, 12, 31))


def test_deterministic_signature(key):
    assert _token(key) == _token(key)


def test_tampered_payload_fails_signature(key):
    payload_text, signature_text = _token(key).split(".")
    claims = vt.decode_token(_token(key), {"kid-1": key["public"]})
    forged = vt.b64encode(vt.canonical({**claims, "a": "500.00"}))
    with pytest.raises(vt.TokenError) as error:
        vt.decode_token(f"{forged}.{signature_text}", {"kid-1": key["public"]})
    assert error.value.reason == vt.BAD_SIGNATURE


def test_wrong_key(key):
    other_private, other_public = vt.new_keypair()
    # Signed by another key under our kid: the signature does not verify.
    forged = vt.encode_token(
        other_private, "kid-1", 1234, "50.00", "KES", "2026-12-31", "0" * 10
    )
    with pytest.raises(vt.TokenError) as error:
        vt.decode_token(forged, {"kid-1": key["public"]})
    assert error.value.reason == vt.BAD_SIGNATURE
    # A kid nobody registered (or a revoked one, left out of the keys).
    with pytest.raises(vt.TokenError) as error:
        vt.decode_token(_token(key), {"kid-2": other_public})
    assert error.value.reason == vt.UNKNOWN_KEY


def test_rotated_key_keeps_old_tokens_verifiable(key):
    old_token = _token(key)
    new_private, new_public = vt.new_keypair()
    new_token = vt.encode_token(
        new_private, "kid-2", 1234, "50.00", "KES", "2026-12-31", "0" * 10
    )
    keys = {"kid-1": key["public"], "kid-2": new_public}
    assert vt.decode_token(old_token, keys)["k"] == "kid-1"
    assert vt.decode_token(new_token, keys)["k"] == "kid-2"
    # The old key revoked: its tokens no longer verify, the new ones do.
    with pytest.raises(vt.TokenError) as error:
        vt.decode_token(old_token, {"kid-2": new_public})
    assert error.value.reason == vt.UNKNOWN_KEY


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b.c",
        "!!!.abc",
        vt.b64encode(b"not json") + ".AAAA",
        vt.b64encode(b'{"a":"1"}') + ".AAAA",
        vt.b64encode(b"[1]") + ".AAAA",
        None,
    ],
)
def test_malformed(token):
    with pytest.raises(vt.TokenError) as error:
        vt.decode_token(token, {})
    assert error.value.reason == vt.MALFORMED


def test_short_signature_is_malformed(key):
    payload_text, _signature = _token(key).split(".")
    with pytest.raises(vt.TokenError) as error:
        vt.decode_token(f"{payload_text}.AAAA", {"kid-1": key["public"]})
    assert error.value.reason == vt.MALFORMED


def test_claims_against_the_record(key):
    claims = vt.decode_token(_token(key), {"kid-1": key["public"]})
    for name, value in (("a", "60.00"), ("c", "USD"), ("e", "2027-01-31"), ("i", 9)):
        with pytest.raises(vt.TokenError) as error:
            vt.check_claims(claims, _expected(**{name: value}))
        assert error.value.reason == vt.TAMPERED
    with pytest.raises(vt.TokenError) as error:
        vt.check_claims(claims, _expected(code=vt.derive_code(SECRET, 1235)))
    assert error.value.reason == vt.TAMPERED
    with pytest.raises(vt.TokenError) as error:
        vt.check_claims(claims, _expected(), datetime.date(2027, 1, 1))
    assert error.value.reason == vt.EXPIRED


def test_codes():
    code = vt.derive_code(SECRET, 7)
    assert len(code) == 10 and set(code) <= set(vt.ALPHABET)
    assert code == vt.derive_code(SECRET, 7)
    assert code != vt.derive_code(SECRET, 8)
    assert code != vt.derive_code("11" * 32, 7)
    # The first 50 bits of the HMAC, pinned.
    digest = hmac.new(bytes.fromhex(SECRET), b"7", hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> 14
    assert vt.normalize_code(code) == "".join(
        vt.ALPHABET[(number >> (45 - 5 * n)) & 31] for n in range(10)
    )
    printed = vt.format_code(code)
    assert printed[5] == "-" and printed.replace("-", "") == code
    assert vt.code_hash(printed.lower()) == vt.code_hash(code)
    assert vt.code_hash(code) == hashlib.sha256(code.encode()).hexdigest()
    assert vt.normalize_code(" abcde-fghjk ") == "ABCDEFGHJK"
    assert vt.normalize_code("O0IL1-00000") == "00111" + "00000"
    for bad in ("ABCDE", "ABCDE-FGHJU", "ABCDE-FGHJK1", 12):
        with pytest.raises(vt.TokenError):
            vt.normalize_code(bad)
    assert len({vt.new_code() for _ in range(50)}) == 50


def test_hmac_pads_rebuild_the_hmac():
    inner, outer = vt.hmac_pads(SECRET)
    message = b"1234"
    rebuilt = hashlib.sha256(outer + hashlib.sha256(inner + message).digest())
    expected = hmac.new(bytes.fromhex(SECRET), message, hashlib.sha256)
    assert rebuilt.digest() == expected.digest()


def test_public_of_matches_pair():
    private, public = vt.new_keypair()
    assert vt.public_of(private) == public


def test_a_loaded_signing_key_signs_the_same_token(key):
    # Ed25519 is deterministic: loading the key once for a batch changes nothing.
    loaded = vt.signing_key(key["private"])
    assert _token(key) == vt.encode_token(
        loaded,
        key["kid"],
        1234,
        "50.00",
        "KES",
        datetime.date(2026, 12, 31),
        vt.derive_code(SECRET, 1234),
    )
    claims = vt.decode_token(_token(key), {key["kid"]: key["public"]})
    assert claims["i"] == 1234
