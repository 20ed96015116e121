from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spp_payment_core.money import (
    compare,
    format_amount,
    is_zero,
    round_money,
    round_to_increment,
    rounding_to_places,
    sum_money,
    to_decimal,
)


def test_floats_convert_exactly():
    assert to_decimal(0.1) == D("0.1")
    assert to_decimal(0.1) + to_decimal(0.2) == D("0.3")
    assert to_decimal("  12.50 ") == D("12.50")


@pytest.mark.parametrize("bad", [None, True, "abc", float("nan"), float("inf"), [1]])
def test_bad_amounts_refused(bad):
    with pytest.raises(ValueError):
        to_decimal(bad)


@pytest.mark.parametrize(
    ("amount", "places", "expected"),
    [
        ("2.675", 2, "2.68"),
        ("2.665", 2, "2.67"),
        ("-2.675", 2, "-2.68"),
        ("10.5", 0, "11"),
        ("1.0005", 3, "1.001"),
    ],
)
def test_round_half_up(amount, places, expected):
    assert round_money(amount, places) == D(expected)


def test_increments_and_places():
    assert round_to_increment("1.02", "0.05") == D("1.00")
    assert round_to_increment("1.03", "0.05") == D("1.05")
    assert rounding_to_places(0.01) == 2
    assert rounding_to_places(1.0) == 0
    assert rounding_to_places("0.001") == 3
    with pytest.raises(ValueError):
        round_to_increment(1, 0)


def test_sum_format_compare():
    assert sum_money([0.1] * 10) == D("1.00")
    assert format_amount(D("1234.5")) == "1234.50"
    assert compare("1.004", "1.00") == 0
    assert compare("1.006", "1.00") == 1
    assert is_zero("0.004")


@given(
    st.lists(st.decimals(min_value=-(10**9), max_value=10**9, places=2), max_size=50)
)
def test_sum_is_exact(amounts):
    assert sum_money(amounts) == sum(amounts, D(0))
