import pytest
from hypothesis import given
from hypothesis import strategies as st
from spp_payment_core.idempotency import idempotency_key


def test_known_value_pins_the_algorithm():
    assert idempotency_key("db-1", 42, 1) == idempotency_key("db-1", 42, 1)
    assert idempotency_key("db-1", 42, 1) == "29ef2b0a-79ca-511a-a06b-d0893bde366e"


key_input = st.tuples(
    st.text(min_size=1, max_size=12).filter(str.strip),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=1, max_value=50),
)


@given(key_input, key_input)
def test_keys_stable_and_distinct(a, b):
    assert idempotency_key(*a) == idempotency_key(*a)
    if a != b:
        assert idempotency_key(*a) != idempotency_key(*b)


@pytest.mark.parametrize(
    "args", [("", 1, 1), ("db", 0, 1), ("db", 1, 0), ("db", True, 1), ("db", 1.0, 1)]
)
def test_bad_inputs(args):
    with pytest.raises(ValueError):
        idempotency_key(*args)
