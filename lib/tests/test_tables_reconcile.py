# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from spp_payment_core import reconcile, tables
from spp_payment_core.tables import Column, Layout, TableError

COLUMNS = (
    Column("reference", "Reference"),
    Column("name", "Name"),
    Column("amount", "Amount", "amount"),
    Column("date", "Date", "date"),
)
ROWS = [
    ("PAY-1", '=HYPERLINK("x")', Decimal("10.005"), date(2030, 1, 2)),
    ("PAY-2", "Ann; O'Neil", Decimal("0.1") + Decimal("0.2"), None),
]


def test_csv_export_is_exact_and_formula_safe():
    out = io.BytesIO()
    layout = Layout(
        delimiter=";",
        decimal_separator=",",
        header_line="N={count}",
        trailer_line="TOTAL {total}",
    )
    tables.write_csv(out, COLUMNS, ROWS, layout, count=2, total=Decimal("10.305"))
    text = out.getvalue().decode()
    assert text.splitlines() == [
        "N=2",
        "Reference;Name;Amount;Date",
        'PAY-1;"\'=HYPERLINK(""x"")";10,01;2030-01-02',
        'PAY-2;"Ann; O\'Neil";0,30;',
        "TOTAL 10,31",
    ]


def test_csv_export_refuses_unencodable_value():
    with pytest.raises(TableError, match="latin-1"):
        tables.write_csv(
            io.BytesIO(), COLUMNS[:1], [("Ŵ",)], Layout(encoding="latin-1")
        )


def test_xlsx_round_trip_keeps_text_safe():
    out = io.BytesIO()
    tables.write_xlsx(out, COLUMNS, ROWS, Layout())
    table = tables.read_table(out.getvalue(), "x.xlsx")
    assert table.header == ["Reference", "Name", "Amount", "Date"]
    assert table.rows[0][1][:3] == ["PAY-1", '\'=HYPERLINK("x")', "10.01"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"ref,status\n", "no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00junk", "binary"),
        (b"ref,status\nP\xe9,paid\n", "not valid utf-8"),
        (b"PK\x03\x04garbage", "damaged XLSX"),
    ],
)
def test_bad_files_are_refused_with_reason(data, message):
    with pytest.raises(TableError, match=message) as info:
        tables.read_table(data, "reply.csv")
    assert "reply.csv" in str(info.value)


def test_xlsx_bomb_is_refused_before_reading():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a/>" + b" " * 300_000_000)
    with pytest.raises(TableError, match="zip bomb"):
        tables.read_table(buffer.getvalue(), "bomb.xlsx")


def test_semicolon_file_is_sniffed():
    table = tables.read_table(b"ref;status\nA;paid\n", "x.csv")
    assert table.rows == [(2, ["A", "paid"])]
    assert table.index(" STATUS ") == 1
    with pytest.raises(TableError, match="missing column"):
        table.index("amount")


TEMPLATE = reconcile.Template(
    match_column="ref",
    status_column="status",
    status_map={"ok": "paid", "ko": "failed"},
    amount_column="amount",
    date_column="date",
    receipt_column="receipt",
    extra_columns=("agent",),
    tolerance=Decimal("0.50"),
)
LOOKUP = {
    "A": reconcile.Target(1, 7, 3, Decimal("10.00"), "sent"),
    "B": reconcile.Target(2, 7, 3, Decimal("10.00"), "sent"),
    "C": reconcile.Target(3, 7, 3, Decimal("10.00"), "paid"),
    "D": reconcile.Target(4, 8, 3, Decimal("10.00"), "sent"),
    "E": reconcile.Target(5, 9, 4, Decimal("10.00"), "sent"),
    "F": reconcile.Target(6, 7, 3, Decimal("10.00"), "sent"),
}
TODAY = date(2030, 2, 1)


def _validate(csv_text):
    table = tables.read_table(csv_text.encode(), "reply.csv")
    return reconcile.validate(table, TEMPLATE, LOOKUP, 7, 3, TODAY)


def test_clean_reply_gives_lines_and_summary():
    result = _validate(
        "ref,status,amount,date,receipt,agent\n"
        "A,OK,10,2030-01-05,R1,north\n"
        "B,ok,7.5,2030-01-05,R2,south\n"
        "C,ok,10,2030-01-05,R3,x\n"
        "F,ko,,,,\n"
    )
    assert result.errors == []
    outcomes = [
        (line.payment_id, line.outcome, line.paid_amount) for line in result.lines
    ]
    assert outcomes == [
        (1, "paid", Decimal("10.00")),
        (2, "partial", Decimal("7.50")),
        (3, "skipped", Decimal("10.00")),
        (6, "failed", None),
    ]
    assert result.lines[0].extra == {"agent": "north"}
    assert result.lines[2].note == "already final (paid)"
    assert result.summary["paid_total"] == "17.50"
    assert result.summary["already_final"] == 1


def test_every_bad_row_is_reported_with_row_and_column():
    result = _validate(
        "ref,status,amount,date,receipt,agent\n"
        "A,ok,10,2030-01-05,R1,\n"
        "A,ok,10,2030-01-05,R1,\n"  # duplicate
        "Z,ok,10,2030-01-05,,\n"  # unknown
        "D,ok,10,2030-01-05,,\n"  # other payroll
        "E,ok,10,2030-01-05,,\n"  # other program
        "B,maybe,10,2030-01-05,,\n"  # unmapped status
        "F,ok,10,05/01/2030,,\n"  # bad date
        "F,ok,10,2031-01-05,,\n"  # future date
        "F,ok,-4,2030-01-05,,\n"  # negative
        "F,ok,11,2030-01-05,,\n"  # over tolerance
        "F,ok,10,2030-01-05,=cmd|' /C calc'!A0,\n"  # formula
    )
    found = [
        (e.row, e.column, e.message.split(":")[0].split(" (")[0]) for e in result.errors
    ]
    assert [row for row, _c, _m in found] == list(range(3, 13))
    messages = " | ".join(e.message for e in result.errors)
    for expected in (
        "duplicate row: the same payment as row 2",
        "unknown 'Z'",
        "another payroll",
        "another program",
        "status 'maybe' is not in the mapping",
        "not a date",
        "in the future",
        "negative",
        "more than issued 10.00",
        "formula",
    ):
        assert expected in messages
    assert result.errors[-1].column == "receipt"
    assert result.summary["not_found"] == 1
    assert all("reply.csv" in str(e) for e in result.errors)


MIXED_REPLY = (
    "ref,status,amount,date,receipt,agent\n"
    "A,ok,10,2030-01-05,R1,north\n"
    "Z,ok,10,2030-01-05,,\n"  # unknown
    "B,ok,7.5,2030-01-05,R2,south\n"
    "C,ok,10,2030-01-05,R3,x\n"
    "A,ok,10,2030-01-05,R1,\n"  # duplicate of row 2, two chunks later
    "F,ko,,,,\n"
)


@pytest.mark.parametrize("size", [1, 2, 4, 100])
def test_chunks_give_every_line_and_error_once_whatever_their_size(size):
    """A file import stores each chunk while the next is checked: the chunks
    must hold the lines of one whole check, in order, and the check must
    carry what it learnt (seen payments, errors, totals) across them."""
    whole = _validate(MIXED_REPLY)
    check = reconcile.Validation(
        tables.read_table(MIXED_REPLY.encode(), "reply.csv"),
        TEMPLATE,
        LOOKUP,
        7,
        3,
        TODAY,
    )
    chunks = []
    errors_after = []
    for chunk in check.chunks(size):
        chunks.append([(line.row, line.payment_id, line.outcome) for line in chunk])
        errors_after.append(len(check.errors))
    assert all(0 < len(chunk) <= size for chunk in chunks)
    assert [line for chunk in chunks for line in chunk] == [
        (2, 1, "paid"),
        (4, 2, "partial"),
        (5, 3, "skipped"),
        (7, 6, "failed"),
    ]
    assert [(e.row, e.message.split(":")[0]) for e in check.errors] == [
        (3, "unknown 'Z'"),
        (6, "duplicate row"),
    ]
    # What a caller streaming the chunks sees: the unknown row is known by
    # the time the chunk after it is handed over (so nothing more is stored).
    assert errors_after[-1] == 2
    if size == 1:
        assert errors_after[:2] == [0, 1]
    assert check.summary == whole.summary
    assert check.summary["rows"] == 6
    assert check.summary["paid_total"] == "17.50"


def test_missing_column_is_one_clear_error():
    table = tables.read_table(b"ref,amount\nA,1\n", "reply.csv")
    with pytest.raises(TableError, match="'status'"):
        reconcile.validate(table, TEMPLATE, LOOKUP, 7, 3, TODAY)


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("=1+2", True),
        ("@SUM(A1)", True),
        ("\tx", True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("+254700000001", False),
        ("-5", False),
        ("12.50", False),
        ("Ann", False),
        ("", False),
    ],
)
def test_formula_like_values(text, formula):
    assert tables.is_formula_like(text) is formula
    assert tables.safe_text(text).startswith("'") is formula


def test_cycle_collection_is_paused_only_while_parsing():
    import gc

    from spp_payment_core.bulk import no_cycle_collection

    seen = []
    with no_cycle_collection():
        seen.append(gc.isenabled())
        tables.read_table(b"ref,status\nA,ok\n", "x.csv")
        seen.append(gc.isenabled())
    assert seen == [False, False]
    assert gc.isenabled()
    with pytest.raises(TableError):
        tables.read_table(b"", "x.csv")
    assert gc.isenabled()


def test_paid_row_for_an_unpaid_payment_is_a_suspected_double_never_skipped():
    lookup = dict(
        LOOKUP,
        G=reconcile.Target(7, 7, 3, Decimal("10.00"), "failed"),
        H=reconcile.Target(8, 7, 3, Decimal("10.00"), "reversed"),
        J=reconcile.Target(9, 7, 3, Decimal("10.00"), "failed"),
    )
    table = tables.read_table(
        (
            b"ref,status,amount,date,receipt,agent\n"
            b"G,ok,,2030-01-05,R7,\n"
            b"H,ok,10,2030-01-05,R8,\n"
            b"J,ko,,,,\n"
        ),
        "reply.csv",
    )
    result = reconcile.validate(table, TEMPLATE, lookup, 7, 3, TODAY)
    assert result.errors == []
    assert [(line.outcome, line.paid_amount) for line in result.lines] == [
        ("double", Decimal("10.00")),
        ("double", Decimal("10.00")),
        ("skipped", None),
    ]
    assert result.lines[0].note == "suspected double payment (payment failed)"
    assert result.summary["suspected_double"] == 2
    assert result.summary["already_final"] == 1


def test_short_rows_read_their_missing_cells_as_empty():
    # The columns of a file whose rows all have every column are read in
    # C-speed passes; a short row (no trailing cells) takes the row-by-row
    # path and must give the same lines.
    full = _validate(
        "ref,status,amount,date,receipt,agent\nA,ok,10,2030-01-05,R1,north\nF,ko,,,,\n"
    )
    short = _validate(
        "ref,status,amount,date,receipt,agent\nA,ok,10,2030-01-05,R1,north\nF,ko\n"
    )
    assert short.errors == full.errors == []
    assert [(line.payment_id, line.outcome, line.extra) for line in short.lines] == [
        (1, "paid", {"agent": "north"}),
        (6, "failed", {"agent": ""}),
    ]
    assert short.summary == full.summary


def test_formula_cells_are_found_by_the_column_scan():
    # The scan of a column for cells starting like a formula may also stop at
    # a line inside a quoted multi-line cell: that cell is then tested alone
    # and is no formula; a real formula cell is refused at its own row.
    result = _validate(
        "ref,status,amount,date,receipt,agent\n"
        'A,ok,10,2030-01-05,R1,"north\n=east"\n'
        "B,ok,10,2030-01-05,+254700000001,south\n"
        "F,ok,10,2030-01-05,R3,@SUM(A1)\n"
    )
    assert [(e.row, e.column) for e in result.errors] == [(4, "agent")]
    assert "formula" in result.errors[0].message
    assert result.lines[0].extra == {"agent": "north\n=east"}
    assert result.lines[1].receipt == "+254700000001"


CLEAN_REPLY = (
    "ref,status,amount,date,receipt,agent\n"
    "A,OK,10,2030-01-05,R1,north\n"
    "B,ok,7.5,2030-01-05,R2,south\n"
    "C,ok,10,2030-01-05,R3,x\n"
    "F,ko,,,,\n"
    "G,ok,,2030-01-04,R7,\n"
    "H,ok,10.40,2030-01-05,,\n"
)
CLEAN_LOOKUP = dict(
    LOOKUP,
    G=reconcile.Target(7, 7, 3, Decimal("10.00"), "failed"),
    H=reconcile.Target(8, 7, 3, Decimal("10.00"), "sent"),
)


def test_a_clean_table_is_read_column_by_column():
    table = tables.read_table(CLEAN_REPLY.encode(), "reply.csv")
    clean = reconcile.clean_table(table, TEMPLATE, TODAY)
    assert clean.rows == [2, 3, 4, 5, 6, 7]
    assert clean.keys == ["A", "B", "C", "F", "G", "H"]
    assert clean.outcomes == ["paid", "paid", "paid", "failed", "paid", "paid"]
    assert clean.amounts[1] == Decimal("7.50") and clean.amounts[3] is None
    assert clean.dates[4] == date(2030, 1, 4) and clean.dates[3] is None
    assert clean.receipts[:2] == ["R1", "R2"] and clean.receipts[3] == ""
    assert clean.extras == [["north", "south", "x", "", "", ""]]


@pytest.mark.parametrize(
    "row",
    [
        "A,ok,10,2030-01-05,R1,\n",  # the same payment again
        ",ok,10,2030-01-05,,\n",  # no match value
        "Z,maybe,10,2030-01-05,,\n",  # unmapped status
        "Z,ok,ten,2030-01-05,,\n",  # not an amount
        "Z,ok,10,2031-01-05,,\n",  # in the future
        "Z,ok,10,05/01/2030,,\n",  # not in the date format
        "Z,ok,10,2030-01-05,=cmd|' /C calc'!A0,\n",  # formula
        "Z\n",  # short row: no status
    ],
)
def test_a_table_with_a_row_to_explain_is_not_clean(row):
    """Such a table goes to the row-by-row check, which explains the row."""
    table = tables.read_table((CLEAN_REPLY + row).encode(), "reply.csv")
    assert reconcile.clean_table(table, TEMPLATE, TODAY) is None
    assert reconcile.clean_table(
        tables.read_table(CLEAN_REPLY.encode(), "reply.csv"), TEMPLATE, TODAY
    )


def test_decided_lines_are_those_of_the_row_by_row_check():
    """What a bulk import stores for each case of a clean table (state,
    outcome, amount, issued) is what Validation decides row by row, over
    every kind of line: paid, partial, failed, already final, double,
    paid within the tolerance."""
    table = tables.read_table(CLEAN_REPLY.encode(), "reply.csv")
    result = reconcile.validate(table, TEMPLATE, CLEAN_LOOKUP, 7, 3, TODAY)
    assert result.errors == []
    clean = reconcile.clean_table(table, TEMPLATE, TODAY)
    tally = reconcile.Tally()
    for line, key, outcome, amount in zip(
        result.lines, clean.keys, clean.outcomes, clean.amounts, strict=True
    ):
        target = CLEAN_LOOKUP[key]
        decided = reconcile.decided_line(
            target.state, outcome, amount, target.amount, TEMPLATE
        )
        assert (decided.outcome, decided.paid_amount, decided.note) == (
            line.outcome,
            line.paid_amount,
            line.note,
        )
        tally.add_alike(decided.outcome, decided.paid_amount, 2)
    assert {line.outcome for line in result.lines} == {
        "paid",
        "partial",
        "failed",
        "skipped",
        "double",
    }
    whole = result.summary
    twice = tally.summary([])
    assert twice["rows"] == 2 * whole["rows"]
    assert twice["paid"] == 2 * whole["paid"]
    assert Decimal(twice["paid_total"]) == 2 * Decimal(whole["paid_total"])


def test_a_row_paid_above_the_tolerance_is_not_decided():
    assert (
        reconcile.decided_line(
            "sent", "paid", Decimal("10.51"), Decimal("10"), TEMPLATE
        )
        is None
    )
    line = reconcile.decided_line(
        "sent", "paid", Decimal("10.50"), Decimal("10"), TEMPLATE
    )
    assert (line.outcome, line.paid_amount) == ("paid", Decimal("10.50"))


def _split_as_copy_does(reply):
    """The cells PostgreSQL's COPY (FORMAT csv) reads from a file with no
    quote: one row a line, one cell a delimiter."""
    text = reply.data.decode("ascii")
    end = "\r\n" if "\r" in text else "\n"
    lines = text.removesuffix(end).split(end)
    return [line.split(reply.delimiter) for line in lines]


@pytest.mark.parametrize(
    "data",
    [
        CLEAN_REPLY.encode(),
        CLEAN_REPLY.replace("\n", "\r\n").encode(),  # CRLF
        CLEAN_REPLY.replace(",", ";").encode(),  # sniffed delimiter
        CLEAN_REPLY.replace(",", "\t").encode(),  # tab: not white space here
        b"\xef\xbb\xbf" + CLEAN_REPLY.encode(),  # UTF-8 byte order mark
        CLEAN_REPLY.replace("A,", " A ,").replace("R2", "R 2\x0b").encode(),
        CLEAN_REPLY.rstrip("\n").encode(),  # no last line end
        (CLEAN_REPLY + "\n\n").encode(),  # blank lines at the end
    ],
)
def test_a_copyable_csv_is_read_by_copy_as_read_table_reads_it(data):
    reply = tables.copyable_csv(data)
    table = tables.read_table(data, "reply.csv")
    header, *rows = _split_as_copy_does(reply)
    assert [cell.strip() for cell in header] == table.header == reply.header
    assert [[c.strip() for c in row] for row in rows] == [
        [c.strip() for c in cells] for _n, cells in table.rows
    ]
    assert reply.row_count == len(table.rows)
    # Cells are stripped in SQL only when some cell needs it.
    assert reply.padded == any(
        cell != cell.strip() for row in [header, *rows] for cell in row
    )


@pytest.mark.parametrize(
    "data, encoding",
    [
        (CLEAN_REPLY.replace("R1", '"R,1"').encode(), "utf-8"),  # quotes
        (CLEAN_REPLY.replace("north", "n\u00f6rth").encode(), "utf-8"),
        (CLEAN_REPLY.replace("north", "n\u00f6rth").encode("latin-1"), "latin-1"),
        (CLEAN_REPLY.replace("R1", "R\r1").encode(), "utf-8"),  # lone CR
        (CLEAN_REPLY.replace("\n", "\r\n", 1).encode(), "utf-8"),  # mixed ends
        (CLEAN_REPLY.replace("\nB,", "\n\nB,").encode(), "utf-8"),  # blank line
        (CLEAN_REPLY.replace("R1", "\\.").encode(), "utf-8"),  # COPY's end mark
        (CLEAN_REPLY.replace("R1", "R\x001").encode(), "utf-8"),  # NUL
        (CLEAN_REPLY.replace("R1", "=1+1").encode(), "utf-8"),  # formula
        (CLEAN_REPLY.replace("R1", " @SUM(A1)").encode(), "utf-8"),  # padded
        (CLEAN_REPLY.replace("north", "-north").encode(), "utf-8"),
        (CLEAN_REPLY.replace("R1", "R" * 200_000).encode(), "utf-8"),  # too long
        (CLEAN_REPLY.encode(), "utf-16"),  # ASCII is not ASCII in it
        (CLEAN_REPLY.encode(), "utf-7"),
        (CLEAN_REPLY.splitlines(keepends=True)[0].encode(), "utf-8"),  # no row
        (b"PK\x03\x04rest", "utf-8"),  # XLSX
    ],
)
def test_a_csv_copy_would_read_otherwise_is_left_to_read_table(data, encoding):
    assert tables.copyable_csv(data, encoding) is None


def test_a_copy_plan_finds_the_template_columns_or_none():
    plan = reconcile.copy_plan(CLEAN_REPLY.encode(), TEMPLATE)
    header = plan.csv.header
    assert [header[at] if at is not None else None for at in plan.positions] == [
        name or None for name in reconcile.template_columns(TEMPLATE)
    ]
    missing = CLEAN_REPLY.replace("status", "state", 1).encode()
    assert reconcile.copy_plan(missing, TEMPLATE) is None
