from decimal import Decimal

import pytest
from spp_payment_core import dashboard, states


def test_every_state_has_one_bucket():
    assert set(dashboard.BUCKETS) == set(states.STATES)


def test_fold_buckets_sums_issued_and_keeps_draft_apart():
    rows = [
        ("paid", 3, 150.5),
        ("failed", 1, 20),
        ("rejected", 2, 40),
        ("unknown", 1, 10),
        ("sent", 4, 0.1),
        ("approved", 1, 0.2),
        ("draft", 5, 500),
        ("cancelled", 1, 7),
    ]
    totals = dashboard.fold_buckets(rows)
    assert totals["paid"] == {"count": 3, "amount": Decimal("150.5")}
    assert totals["failed"] == {"count": 3, "amount": Decimal("60")}
    # 0.1 + 0.2 exactly: floats would give 0.30000000000000004.
    assert totals["pending"]["amount"] == Decimal("0.3")
    assert totals["issued"]["count"] == 3 + 3 + 1 + 5
    assert totals["issued"]["amount"] == Decimal("220.8")
    assert totals["draft"]["count"] == 5
    assert totals["cancelled"]["amount"] == Decimal("7")


def test_fold_buckets_refuses_an_unknown_state():
    with pytest.raises(ValueError, match="'lost'"):
        dashboard.fold_buckets([("lost", 1, 1)])


def test_states_of_issued_excludes_draft_and_cancelled():
    issued = dashboard.states_of("issued")
    assert "draft" not in issued and "cancelled" not in issued
    assert set(dashboard.states_of("failed")) == {"failed", "rejected", "reversed"}


def test_success_rate_ignores_unsettled_and_says_none_without_data():
    assert dashboard.success_rate(0, 0) is None
    assert dashboard.success_rate(2, 1) == Decimal("66.7")
    rows = [
        ("B", "paid", 1),
        ("A", "paid", 9),
        ("A", "failed", 1),
        ("A", "unknown", 5),
        ("A", "draft", 100),
        ("B", "sent", 3),
    ]
    assert dashboard.rates_by_key(rows) == [
        ("A", 9, 1, 5, 0, Decimal("90.0")),
        ("B", 1, 0, 0, 3, Decimal("100.0")),
    ]
