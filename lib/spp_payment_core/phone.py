"""Phone numbers as FSPs want them: E.164 (``+`` then country code and number)."""

import re

_SEPARATORS = re.compile(r"[\s\-().\u00a0/]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalize_msisdn(phone, default_country_code=None):
    """Return ``phone`` in E.164 form, or raise ``ValueError`` saying why not.

    ``default_country_code`` (digits, e.g. ``"254"``) completes national numbers
    written with a trunk ``0`` (``0712 345 678``) or without one.
    """
    if phone is None or not str(phone).strip():
        raise ValueError("empty phone number")
    raw = str(phone).strip()
    digits = _SEPARATORS.sub("", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        if not default_country_code:
            raise ValueError(
                f"phone number {raw!r} has no country code and none is configured"
            )
        country = str(default_country_code).lstrip("+")
        if not country.isdigit():
            raise ValueError(f"invalid default country code {default_country_code!r}")
        national = digits.removeprefix("0")
        digits = f"+{country}{national}"
    if not _E164.match(digits):
        raise ValueError(f"phone number {raw!r} is not a valid E.164 number")
    return digits
