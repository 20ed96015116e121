# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

import pytest
from spp_payment_core import adhoc, tables
from spp_payment_core.adhoc import Registrant

REGISTRANTS = {
    "HH-1": Registrant(10, "household", membership_id=100, fsp_id=3),
    "HH-2": Registrant(11, "household"),  # not yet a member
    "HH-PAID": Registrant(12, "household", 102, "enrolled", 3, "PAY/0007"),
    "HH-OUT": Registrant(13, "household", 103, "exited", 3),
    "IND-1": Registrant(14, "individual"),
}
FSPS = {"mpesa": 3, "bank a": 4, "twin": [5, 6]}

GOOD = (
    "registrant_id,name,phone,amount,channel,destination,fsp\n"
    "HH-1,,,50.00,digital,+254700000001,\n"
    "HH-2,,,25.5,payment_point,,\n"
    ",Amina Otieno,0711 222 333,75,digital,+254711222333,M-Pesa\n"
    ",Peter Kamau,,30,digital,KE12-3456-7890,bank a\n"
)
TWO_BAD = (
    "registrant_id,name,phone,amount,channel,destination,fsp\n"
    "HH-1,,,50.00,digital,+254700000001,\n"
    "HH-9,,,25.5,payment_point,,\n"
    ",Amina Otieno,0711 222 333,-75,digital,+254711222333,M-Pesa\n"
    ",Peter Kamau,,30,digital,KE12-3456-7890,bank a\n"
)


def check(text, **kwargs):
    table = tables.read_table(text.encode(), "adhoc.csv")
    kwargs.setdefault("target_type", "household")
    kwargs.setdefault("default_country_code", "254")
    return adhoc.validate(table, REGISTRANTS, FSPS, **kwargs)


def where(errors):
    return [(e.row, e.column) for e in errors]


def test_clean_file_gives_every_row():
    result = check(GOOD.replace("M-Pesa", "mpesa"))
    assert result.errors == []
    first, second, amina, peter = result.rows
    assert (first.partner_id, first.membership_id, first.fsp_id) == (10, 100, 3)
    assert first.amount == Decimal("50.00") and first.destination == "+254700000001"
    assert first.destination_type == "msisdn"
    assert (second.partner_id, second.membership_id) == (11, None)
    assert second.channel == "payment_point" and second.destination is None
    assert amina.is_new_payee and amina.phone == "+254711222333"
    assert amina.fsp_id == 3 and amina.amount == Decimal("75.00")
    assert peter.destination_type == "bank" and peter.destination == "KE12-3456-7890"
    assert [r.row for r in result.new_payees] == [4, 5]
    assert [r.row for r in result.registrant_rows] == [2, 3]


def test_two_bad_rows_are_both_explained_and_no_row_is_returned_for_them():
    result = check(TWO_BAD.replace("M-Pesa", "mpesa"))
    assert where(result.errors) == [(3, "registrant_id"), (4, "amount")]
    assert "no registrant has the ID 'HH-9'" in result.errors[0].message
    assert "positive" in result.errors[1].message
    assert str(result.errors[0]).startswith("file adhoc.csv, row 3, column")
    # The caller writes nothing when there are errors; the rows left are the
    # good ones only.
    assert [r.row for r in result.rows] == [2, 5]


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("0", "positive"),
        ("-1", "positive"),
        ("10.005", "more than 2 decimals"),
        ("ten", "not an amount"),
        ("NaN", "not an amount"),
        ("1e13", "implausibly large"),
        ("", "required"),
    ],
)
def test_amounts_are_exact_positive_and_within_the_currency(amount, reason):
    result = check(f"registrant_id,amount,channel\nHH-2,{amount},payment_point\n")
    assert where(result.errors) == [(2, "amount")]
    assert reason in result.errors[0].message


def test_amounts_keep_trailing_zeros_and_zero_decimal_currencies():
    assert adhoc.parse_amount("10.500", 2) == (Decimal("10.50"), "")
    assert adhoc.parse_amount("1 000", 0) == (Decimal("1000"), "")
    assert adhoc.parse_amount("1000.5", 0)[1].startswith("1000.5 has more than 0")


def test_same_person_twice_is_refused_on_the_second_row():
    result = check(
        "registrant_id,name,national_id,phone,amount,channel,destination,fsp\n"
        "HH-2,,,,5,payment_point,,\n"
        "HH-2,,,,6,payment_point,,\n"
        ",Ann,NID-1,,5,payment_point,,\n"
        ",Ann B,nid-1,,5,payment_point,,\n"
        ",Bo,,+254 700 000 009,5,payment_point,,\n"
        ",Bo K,,0700000009,5,payment_point,,\n"
    )
    assert where(result.errors) == [
        (3, "registrant_id"),
        (5, "national_id"),
        (7, "phone"),
    ]
    assert "already paid in row 2" in result.errors[0].message
    assert "already paid in row 4" in result.errors[1].message
    assert "already paid in row 6" in result.errors[2].message


def test_unknown_channel_destination_and_fsp():
    result = check(
        "registrant_id,amount,channel,destination,destination_type,fsp\n"
        "HH-1,5,cheque,,,\n"
        "HH-1,5,digital,,,\n".replace("HH-1,5,digital", "HH-2,5,digital")
        + "IND-1,5,digital,+2547,msisdn,twin\n"
        "HH-OUT,5,digital,+254700000001,,nobody\n"
        "HH-PAID,5,digital,@x,wire,\n"
    )
    assert where(result.errors) == [
        (2, "channel"),
        (3, "destination"),
        (3, "fsp"),
        (4, "registrant_id"),
        (4, "destination"),
        (4, "fsp"),
        (5, "registrant_id"),
        (5, "fsp"),
        (6, "destination"),
    ]
    messages = [e.message for e in result.errors]
    assert "unknown channel 'cheque'" in messages[0]
    assert "needs a destination" in messages[1]
    assert "needs an FSP" in messages[2]
    assert "the program pays households" in messages[3]
    assert "E.164" in messages[4]
    assert "2 FSPs are named 'twin'" in messages[5]
    assert "exited" in messages[6]
    assert "no FSP is named 'nobody'" in messages[7]
    assert "formula" in messages[8]


def test_registrant_already_paid_in_the_cycle():
    result = check("registrant_id,amount,channel\nHH-PAID,5,payment_point\n")
    assert where(result.errors) == [(2, "registrant_id")]
    assert "already has payment PAY/0007" in result.errors[0].message


def test_new_payee_needs_a_name():
    result = check("registrant_id,name,amount,channel\n,,5,payment_point\n")
    assert where(result.errors) == [(2, "registrant_id")]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("registrant_id,channel", "amount"),
        ("registrant_id,amount", "channel"),
        ("amount,channel,phone", "registrant_id"),
        ("registrant_id,amount,channel,colour", "colour"),
        ("registrant_id,amount,channel,Amount", "Amount"),
    ],
)
def test_header_problems_are_reported_and_no_row_checked(header, column):
    result = check(f"{header}\nHH-1,5,digital,x\n")
    assert [(e.row, e.column) for e in result.errors] == [(1, column)]
    assert result.rows == []


def test_headers_ignore_case_and_spaces():
    result = check("Registrant ID,AMOUNT,Channel\nHH-2,5,Payment Point\n")
    assert result.errors == []
    assert result.rows[0].channel == "payment_point"
