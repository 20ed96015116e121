# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from spp_payment_core import ppm


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


def _event(**changes):
    event = {
        "client_uuid": "0b8f6a52-6a0e-4a43-9c55-5f3c0e0f6b11",
        "seq": 1,
        "payment_id": 101,
        "amount": "150.00",
        "paid_at": "2026-11-20T09:12:03Z",
        "latitude": -1.2801,
        "longitude": 36.8001,
        "accuracy": 12.0,
        "photo_sha256": "ab" * 32,
        "prev_hash": "",
    }
    event.update(changes)
    return event


def test_message_is_the_contract_join():
    assert ppm.event_message(_event()) == (
        b"0b8f6a52-6a0e-4a43-9c55-5f3c0e0f6b11|1|101|150.00|2026-11-20T09:12:03Z"
        b"|-1.2801|36.8001|12|" + b"ab" * 32 + b"|"
    )
    absent = _event(latitude=None, longitude=None, accuracy=None)
    assert b"|||" in ppm.event_message(absent)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (36.8, "36.8"),
        (-1.2801, "-1.2801"),
        (12.0, "12"),
        (12, "12"),
        (0.00001, "0.00001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (1e21, "1e+21"),
        (123456789.125, "123456789.125"),
        (-0.5, "-0.5"),
        (0.0, "0"),
    ],
)
def test_numbers_are_written_as_javascript_string(value, text):
    assert ppm.js_number(value) == text


def test_signature_made_with_a_p256_key_verifies(key):
    message = ppm.event_message(_event())
    signature = ppm.sign_raw(key, message)
    assert len(base64.b64decode(signature)) == 64
    spki = ppm.public_spki_b64(key)
    assert ppm.verify(spki, message, signature)


def test_tampered_amount_is_rejected(key):
    signature = ppm.sign_raw(key, ppm.event_message(_event()))
    tampered = ppm.event_message(_event(amount="1500.00"))
    assert not ppm.verify(ppm.public_spki_b64(key), tampered, signature)


def test_another_devices_key_and_garbage_are_rejected(key):
    message = ppm.event_message(_event())
    other = ec.generate_private_key(ec.SECP256R1())
    assert not ppm.verify(
        ppm.public_spki_b64(key), message, ppm.sign_raw(other, message)
    )
    spki = ppm.public_spki_b64(key)
    assert not ppm.verify(spki, message, "not base64!")
    assert not ppm.verify(spki, message, base64.b64encode(b"x" * 63).decode())
    assert not ppm.verify(spki, message, "")


def test_only_p256_public_keys_load():
    with pytest.raises(ppm.SignatureError):
        ppm.load_public_key("bm90IGEga2V5")
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ppm.SignatureError):
        ppm.load_public_key(ppm.public_spki_b64(p384))


def test_hash_chain_links_each_event_to_the_previous_one(key):
    first = ppm.event_message(_event())
    second_event = _event(seq=2, prev_hash=ppm.event_hash(first))
    assert ppm.event_hash(first) == hashlib.sha256(first).hexdigest()
    assert second_event["prev_hash"] in ppm.event_message(second_event).decode()


def test_digest_is_the_sha256_of_sorted_compact_utf8_json():
    payments = [{"payment_id": 1, "partner_name": "Amina Wanjirū", "amount": "1.00"}]
    text = '[{"amount":"1.00","partner_name":"Amina Wanjirū","payment_id":1}]'
    assert ppm.canonical_json(payments) == text.encode()
    assert ppm.digest(payments) == hashlib.sha256(text.encode()).hexdigest()
    assert json.loads(ppm.canonical_json(payments)) == payments


def test_distance_and_radius_with_accuracy():
    # One thousandth of a degree of latitude is about 111 m.
    assert 110 < ppm.distance_m(0, 0, 0.001, 0) < 112
    assert not ppm.outside_radius(0, 0, 100, 0.001, 0, 20)
    assert ppm.outside_radius(0, 0, 100, 0.001, 0, 5)


def test_timestamps_need_a_zone():
    assert str(ppm.parse_utc("2026-11-20T12:00:00+03:00")) == "2026-11-20 09:00:00"
    for bad in ("2026-11-20T09:00:00", "yesterday", "", None):
        with pytest.raises(ValueError):
            ppm.parse_utc(bad)


def test_images_by_magic_bytes():
    assert ppm.is_image(b"\xff\xd8\xff\xe0rest")
    assert ppm.is_image(b"\x89PNG\r\n\x1a\nrest")
    assert not ppm.is_image(b"<svg>")
