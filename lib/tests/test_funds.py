from decimal import Decimal

from spp_payment_core import funds


def test_committed_and_disbursed_by_state():
    rows = [
        ("paid", 100, 100),
        ("paid", 50, 45.5),  # the FSP paid less: that is what left the fund
        ("approved", 10, 0),
        ("sent", 20, 0),
        ("unknown", 5, 0),  # may have been paid: still committed
        ("failed", 1000, 0),
        ("rejected", 1000, 0),
        ("cancelled", 1000, 0),
        ("reversed", 1000, 0),
        ("draft", 1000, 0),  # not approved: commits nothing
    ]
    fund = funds.fund_from_rows(Decimal("200.10"), rows)
    assert fund.disbursed == Decimal("145.50")
    assert fund.committed == Decimal("35.00")
    assert fund.available == Decimal("19.60")


def test_shortfall_is_exact_and_never_negative():
    fund = funds.Fund(Decimal("0.3"), Decimal("0.1"), Decimal("0.1"))
    assert fund.available == Decimal("0.10")
    assert fund.shortfall(0.1) == Decimal("0.00")  # 0.1 fits exactly
    assert fund.shortfall("0.11") == Decimal("0.01")
    assert fund.shortfall(0) == Decimal("0.00")


def test_zero_decimal_currency():
    fund = funds.fund_from_rows(1000, [("approved", 999.6, 0)], decimal_places=0)
    assert fund.committed == Decimal("1000")
    assert fund.available == Decimal("0")
