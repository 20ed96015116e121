from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spp_payment_core.entitlement import (
    REJECT,
    RESTRICT,
    Component,
    Row,
    Rules,
    compute_entitlement,
    compute_entitlements,
    compute_shared,
)

DISABILITY = Component("disability", D("15.00"))
PER_DAY = Component("days", D("2.50"), multiplier="days_worked")
FEE = Component("fee", D("0.75"), counts_toward_cap=False)


def test_fixed_plus_matched_components():
    rules = Rules(fixed_amount=D(50), components=(DISABILITY, PER_DAY, FEE))
    ent = compute_entitlement(
        rules, Row(1, frozenset({"disability", "days", "fee"}), {"days_worked": 4})
    )
    assert ent.amount == D("75.75")
    assert ent.breakdown == {
        "fixed": D("50.00"),
        "disability": D("15.00"),
        "days": D("10.00"),
        "fee": D("0.75"),
    }
    unmatched = compute_entitlement(rules, Row(2))
    assert unmatched.amount == D("50.00")


def test_zero_fixed_amount_is_allowed():
    ent = compute_entitlement(Rules(components=(DISABILITY,)), Row(1, {"disability"}))
    assert ent.amount == D("15.00")


def test_cap_pays_the_cap_and_leaves_non_counting_components_on_top():
    rules = Rules(fixed_amount=D(50), components=(DISABILITY, FEE), cap=D(60))
    ent = compute_entitlement(rules, Row(1, frozenset({"disability", "fee"})))
    assert ent.capped
    assert ent.amount == D("60.75")
    assert ent.breakdown["cap_reduction"] == D("-5.00")


def test_cap_reject_policy_rejects_and_flags():
    rules = Rules(
        fixed_amount=D(50), components=(DISABILITY,), cap=D(60), cap_policy=REJECT
    )
    ent = compute_entitlement(rules, Row(1, frozenset({"disability"})))
    assert ent.rejected and ent.amount == 0
    assert "cap" in ent.reason
    assert not compute_entitlement(rules, Row(2)).rejected


def test_back_payments_are_limited():
    rules = Rules(fixed_amount=D(20), back_payment_limit=2)
    assert compute_entitlement(rules, Row(1, missed_payments=3)).amount == D(60)
    assert compute_entitlement(rules, Row(1, missed_payments=3)).back_payments == 2
    assert compute_entitlement(rules, Row(1, missed_payments=1)).amount == D(40)
    none = Rules(fixed_amount=D(20))
    assert compute_entitlement(none, Row(1, missed_payments=3)).amount == D(20)


def test_balance_restrict_and_reject():
    rules = Rules(fixed_amount=D(100), balance_policy=RESTRICT)
    ent = compute_entitlement(rules, Row(1, balance=D(40)))
    assert ent.over_balance and not ent.rejected
    assert ent.amount == D("40.00")
    exhausted = compute_entitlement(rules, Row(1, balance=D(-5)))
    assert exhausted.amount == D("0.00")
    strict = Rules(fixed_amount=D(100), balance_policy=REJECT)
    rejected = compute_entitlement(strict, Row(1, balance=D(40)))
    assert rejected.rejected and rejected.over_balance and rejected.amount == 0
    assert not compute_entitlement(strict, Row(1, balance=D(100))).rejected


def test_rounding_half_up_to_currency():
    rules = Rules(components=(Component("d", D("0.125"), multiplier="n"),))
    assert compute_entitlement(rules, Row(1, {"d"}, {"n": 1})).amount == D("0.13")
    whole = Rules(fixed_amount=D("10.5"), decimal_places=0)
    assert compute_entitlement(whole, Row(1)).amount == D(11)


def test_bad_rules_and_rows_are_refused():
    with pytest.raises(ValueError, match="cap policy"):
        Rules(cap_policy="halve")
    with pytest.raises(ValueError, match="negative"):
        Rules(cap=D(-1))
    rules = Rules(components=(PER_DAY,))
    with pytest.raises(ValueError, match="days_worked is negative"):
        compute_entitlement(rules, Row(7, {"days"}, {"days_worked": -2}))


@given(
    fixed=st.decimals(min_value=0, max_value=10_000, places=2),
    extra=st.decimals(min_value=0, max_value=10_000, places=2),
    cap=st.decimals(min_value=0, max_value=10_000, places=2),
    missed=st.integers(min_value=0, max_value=10),
    limit=st.integers(min_value=0, max_value=5),
    balance=st.one_of(
        st.none(), st.decimals(min_value=-100, max_value=50_000, places=2)
    ),
)
def test_invariants(fixed, extra, cap, missed, limit, balance):
    rules = Rules(
        fixed_amount=fixed,
        components=(Component("x", extra),),
        cap=cap,
        back_payment_limit=limit,
    )
    ent = compute_entitlement(
        rules, Row(1, {"x"}, missed_payments=missed, balance=balance)
    )
    assert ent.amount >= 0
    assert ent.amount <= cap * (1 + min(missed, limit))
    if balance is not None:
        assert ent.amount <= max(balance, 0)
    assert ent.amount == ent.amount.quantize(D("0.01"))
    if not ent.over_balance:
        assert sum(ent.breakdown.values()) == ent.amount


def test_many_rows_keep_order():
    rules = Rules(fixed_amount=D(1))
    keys = [e.key for e in compute_entitlements(rules, [Row(k) for k in range(5)])]
    assert keys == list(range(5))


@given(
    st.lists(
        st.tuples(
            st.frozensets(st.sampled_from(["disability", "days", "fee"])),
            st.integers(min_value=0, max_value=3),
            st.integers(min_value=0, max_value=4),
            st.one_of(st.none(), st.decimals(min_value=0, max_value=200, places=2)),
        ),
        max_size=40,
    )
)
def test_shared_computation_equals_row_by_row(profiles):
    rules = Rules(
        fixed_amount=D("40"),
        components=(DISABILITY, PER_DAY, FEE),
        cap=D("60"),
        back_payment_limit=2,
        balance_policy=RESTRICT,
    )
    rows = [
        Row(k, matched, {"days_worked": days}, missed, balance)
        for k, (matched, days, missed, balance) in enumerate(profiles)
    ]
    shared = compute_shared(rules, rows)
    for one, many in zip(compute_entitlements(rules, rows), shared, strict=True):
        assert many.key is None
        assert (one.amount, one.breakdown, one.capped, one.over_balance) == (
            many.amount,
            many.breakdown,
            many.capped,
            many.over_balance,
        )
