# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, datetime
from decimal import Decimal

import pytest
from spp_payment_core import iso20022
from spp_payment_core.simulators.bank_statement import Entry, write_camt053


def _statement(entries, account="KE34DEMO00000000007654321"):
    return write_camt053(
        account,
        "KES",
        entries,
        opening=Decimal("100000.00"),
        msg_id="DEMO-STMT-1",
        created=datetime(2026, 12, 2, 18, 0),
        booked=date(2026, 12, 2),
    )


def test_statement_reads_back_as_booked_debits_and_a_return():
    raw = _statement(
        [
            Entry("PAY-1", Decimal("6242.10")),
            Entry("PAY-2", Decimal("6242.1")),
            Entry("PAY-3", Decimal("6242.10"), return_code="AC04"),
        ]
    )
    assert iso20022.identify(raw).startswith("camt.053")
    (statement,) = iso20022.parse_statement(raw)
    assert statement.account == "KE34DEMO00000000007654321"
    assert statement.currency == "KES"
    assert statement.closing.code == "CLBD"
    # 100000 - 2 x 6242.10 paid + the returned one back (its debit was on
    # the day before: in the opening balance).
    assert statement.closing.amount == Decimal("93757.90")
    outcomes = [(e.end_to_end_id, e.outcome, e.amount) for e in statement.entries]
    assert outcomes == [
        ("PAY-1", "paid", Decimal("6242.10")),
        ("PAY-2", "paid", Decimal("6242.10")),
        ("PAY-3", "reversed", Decimal("6242.10")),
    ]
    assert statement.entries[2].reason_code == "AC04"


def test_other_account_ids_and_bad_entries():
    (statement,) = iso20022.parse_statement(
        _statement([Entry("A", Decimal(1))], account="0012345678")
    )
    assert statement.account == "0012345678"
    with pytest.raises(ValueError, match="appears twice"):
        _statement([Entry("A", Decimal(1)), Entry("A", Decimal(2))])
    with pytest.raises(ValueError, match="never negative"):
        _statement([Entry("A", Decimal(-1))])
