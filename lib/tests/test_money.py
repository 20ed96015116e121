from decimal import Decimal as D
from fractions import Fraction

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


def _half_up_cents(exact):
    """The oracle, in integers: ``exact`` (a Fraction) in cents, halves away
    from zero, as a Decimal."""
    cents = abs(exact) * 100
    whole = int(cents)
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return D(whole if exact >= 0 else -whole).scaleb(-2)


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        # Halves go up (away from zero), never to even: 0.005 -> 0.01.
        (["0.005"], "0.01"),
        (["-0.005"], "-0.01"),
        (["0.125"], "0.13"),
        # The sum is rounded once, not each term: 0.004 + 0.001 is 0.01, where
        # rounding the terms gives 0.00; 3 x 0.015 is 0.05, not 3 x 0.02.
        (["0.004", "0.001"], "0.01"),
        (["0.015"] * 3, "0.05"),
        # Floats that binary arithmetic gets wrong: 1.005 is stored as
        # 1.00499999999999989..., round(1.005, 2) is 1.0 in Python.
        ([1.005], "1.01"),
        ([2.675], "2.68"),
        ([0.1, 0.2], "0.30"),
        ([0.1] * 3, "0.30"),
        ([1e-3] * 5, "0.01"),
    ],
)
def test_sum_rounds_the_exact_total_half_up(amounts, expected):
    total = sum_money(amounts)
    assert total == D(expected)
    assert total.as_tuple().exponent == -2  # always at the currency precision


@given(
    st.lists(
        st.one_of(
            st.decimals(min_value=-(10**9), max_value=10**9, places=5, allow_nan=False),
            # floats as entered: up to six decimals (a denormal like 2e-313
            # has more digits than Decimal's 28 and is no amount of money)
            st.floats(min_value=-(10**6), max_value=10**6).map(lambda f: round(f, 6)),
            # exact halves of a cent, where the rounding rule shows
            st.integers(-(10**8), 10**8).map(lambda n: D(n) / 1000 + D("0.005")),
        ),
        max_size=50,
    )
)
def test_sum_is_exact(amounts):
    # The exact total in rationals (a float counts as its shortest repr, as
    # entered), rounded by integer arithmetic: independent of Decimal.
    exact = sum(
        (Fraction(repr(a)) if isinstance(a, float) else Fraction(a) for a in amounts),
        Fraction(0),
    )
    assert sum_money(amounts) == _half_up_cents(exact)
