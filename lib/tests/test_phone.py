import pytest
from spp_payment_core.phone import normalize_msisdn


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+254 712 345 678", None, "+254712345678"),
        ("00254712345678", None, "+254712345678"),
        ("0712-345-678", "254", "+254712345678"),
        ("712345678", "+254", "+254712345678"),
        ("(0)712.345.678", "254", "+254712345678"),
    ],
)
def test_normalize_msisdn(raw, country, expected):
    assert normalize_msisdn(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "message"),
    [
        ("", "254", "empty"),
        (None, "254", "empty"),
        ("0712345678", None, "no country code"),
        ("+0712345678", None, "not a valid E.164"),
        ("+2547123456789012", None, "not a valid E.164"),
        ("07123abc", "254", "not a valid E.164"),
        ("0712345678", "ke", "invalid default country code"),
    ],
)
def test_normalize_msisdn_rejects(raw, country, message):
    with pytest.raises(ValueError, match=message):
        normalize_msisdn(raw, country)
