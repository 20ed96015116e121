"""Exact money: ``Decimal`` arithmetic rounded half-up to the currency precision."""

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def to_decimal(value):
    """``value`` as a ``Decimal``; floats go through their shortest repr, so 0.1
    becomes Decimal("0.1"), not its binary expansion."""
    if value is None or isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as error:
            raise ValueError(f"not an amount: {value!r}") from error
    else:
        raise ValueError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


def round_money(amount, decimal_places=2):
    return to_decimal(amount).quantize(_quantum(decimal_places), rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=16)
def _quantum(decimal_places):
    if decimal_places < 0:
        raise ValueError("decimal places cannot be negative")
    return Decimal(1).scaleb(-decimal_places)


def round_to_increment(amount, increment):
    """Round half-up to a multiple of ``increment`` (cash rounding, e.g. 0.05)."""
    step = to_decimal(increment)
    if step <= 0:
        raise ValueError("the rounding increment must be positive")
    units = (to_decimal(amount) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return units * step


def rounding_to_places(rounding):
    """Decimal places of an Odoo currency rounding: 0.01 -> 2, 1.0 -> 0."""
    step = to_decimal(rounding).normalize()
    if step <= 0:
        raise ValueError("the rounding must be positive")
    return max(-step.as_tuple().exponent, 0)


def sum_money(amounts, decimal_places=2):
    return round_money(
        sum((to_decimal(a) for a in amounts), Decimal(0)), decimal_places
    )


def format_amount(amount, decimal_places=2):
    """Plain wire format: "1234.50", no thousands separator."""
    return f"{round_money(amount, decimal_places):f}"


def compare(a, b, decimal_places=2):
    left, right = round_money(a, decimal_places), round_money(b, decimal_places)
    return (left > right) - (left < right)


def is_zero(amount, decimal_places=2):
    return round_money(amount, decimal_places) == 0
