# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Validation of an FSP's reply file against the payments it answers.

Pure function over rows: every bad row is reported with its row number, column
and reason, and a summary says what accepting the file would do. Nothing here
writes anything; the caller applies the lines only when there is no error.
"""

import functools
import itertools
import operator
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from . import tables
from .bulk import without_cycle_collection
from .money import round_money
from .states import CANCELLED, FAILED, PAID, REJECTED, REVERSED
from .tables import FORMULA_START, Table, TableError, is_formula_like

# A payment in one of these states has its outcome; a reply cannot change it.
FINAL_STATES = frozenset({PAID, FAILED, REJECTED, REVERSED, CANCELLED})
# ... but a success reported for one we believe unpaid may be money paid twice:
# such a row becomes a "double" line, recorded as an overpayment on acceptance.
NOT_PAYING_STATES = frozenset({FAILED, REJECTED, REVERSED, CANCELLED})
OUTCOMES = ("paid", "failed")
_FORMULA_FIRST = frozenset(FORMULA_START)
# Larger than any social transfer: a typo, not a payment.
MAX_AMOUNT = Decimal("1e12")


@dataclass(frozen=True)
class Template:
    """Where the FSP's reply keeps each piece of information."""

    match_column: str
    status_column: str
    status_map: dict  # lower-cased FSP value -> "paid" | "failed"
    amount_column: str = ""
    date_column: str = ""
    date_format: str = "%Y-%m-%d"
    receipt_column: str = ""
    reason_column: str = ""
    extra_columns: tuple = ()
    # Largest paid amount above the issued amount still accepted (fees...).
    tolerance: Decimal = Decimal(0)
    decimal_places: int = 2


class Target(NamedTuple):
    """The payment a row names, as the database knows it (a tuple: a million
    of them are built per file)."""

    id: int
    payroll_id: int
    program_id: int
    amount: Decimal
    state: str


@dataclass(slots=True)
class Line:
    row: int
    payment_id: int
    outcome: str  # paid, partial, failed, rejected, reversed, processing, skipped
    paid_amount: Decimal | None = None
    paid_date: date | None = None
    receipt: str = ""
    reason: str = ""
    extra: dict = field(default_factory=dict)
    note: str = ""
    reason_code: str | None = None


@dataclass
class Result:
    lines: list
    errors: list  # TableError
    summary: dict


@without_cycle_collection
def validate(table: Table, template: Template, lookup, payroll_id, program_id, today):
    """Check every row of ``table``; ``lookup`` maps a match value to its
    :class:`Target` (or to a list of them when the value is ambiguous)."""
    check = Validation(table, template, lookup, payroll_id, program_id, today)
    lines = [line for chunk in check.chunks() for line in chunk]
    return Result(lines, check.errors, check.summary)


# Rows per chunk of Validation.chunks: a few MB of COPY text each.
CHUNK_ROWS = 50_000


class Validation:
    """The check of a table's rows, a chunk at a time: a caller can store the
    lines of one chunk while the next is checked (Python's checks and
    PostgreSQL's storing then run side by side). ``errors`` and ``summary``
    are those of the rows checked so far, of the whole table once
    :meth:`chunks` is exhausted."""

    def __init__(self, table, template, lookup, payroll_id, program_id, today):
        self.table, self.template, self.lookup = table, template, lookup
        self.payroll_id, self.program_id, self.today = payroll_id, program_id, today
        self.errors = []
        self._tally = Tally()

    @property
    def summary(self):
        return self._tally.summary(self.errors)

    def chunks(self, size=None):
        """The lines of the table's good rows, in row order, in lists of at
        most ``size`` (CHUNK_ROWS); bad rows add to ``errors`` instead."""
        lines = self._lines()
        while chunk := list(itertools.islice(lines, size or CHUNK_ROWS)):
            self._tally.add(chunk)
            yield chunk

    def _lines(self):
        table, template, lookup = self.table, self.template, self.lookup
        today, errors = self.today, self.errors
        cells = _Cells(table, template)
        seen = {}
        risky = cells.risky
        extras = tuple(enumerate(template.extra_columns, start=EXTRA))
        for index, (
            (row_no, _cells),
            row,
            target,
            outcome,
            amount,
            paid_date,
        ) in enumerate(
            zip(
                table.rows,
                cells.rows(),
                *_read(cells, template, lookup, today),
                strict=True,
            )
        ):
            if (
                target.__class__ is Target
                and outcome in OUTCOMES
                and amount is not _BAD
                and paid_date is not _BAD
                and index not in risky
            ):
                # A clean row (nearly all of a million): its cells were read
                # once per distinct value; what a row has wrong, _line says.
                line = Line(
                    row_no,
                    target.id,
                    outcome,
                    amount,
                    paid_date,
                    row[RECEIPT],
                    row[REASON],
                )
                for position, name in extras:
                    line.extra[name] = row[position]
            else:
                try:
                    target, line = _line(
                        index,
                        row_no,
                        row,
                        index in risky,
                        cells,
                        template,
                        lookup,
                        today,
                    )
                except TableError as error:
                    error.filename = table.filename
                    errors.append(error)
                    continue
            problem = _target_problem(target, self.payroll_id, self.program_id)
            if problem:
                errors.append(_error(table, row_no, template.match_column, problem))
                continue
            if target.id in seen:
                errors.append(
                    _error(
                        table,
                        row_no,
                        template.match_column,
                        f"duplicate row: the same payment as row {seen[target.id]}",
                    )
                )
                continue
            seen[target.id] = row_no
            yield _decide(target, line, template, errors, table.filename)


# Positions of the template's columns in a row of _Cells.rows().
MATCH, STATUS, AMOUNT, DATE, RECEIPT, REASON, EXTRA = range(7)
# A cell that is not a valid amount or date (_line says why).
_BAD = object()


def _read(cells, template, lookup, today):
    """Per row, in C-speed passes over the columns: the target of its match
    value, the outcome of its status, its amount and its date, each read once
    per distinct value (a million rows hold a few thousand amounts and dates);
    a row whose cell is wrong gets None or _BAD there."""
    columns = cells.columns
    if "" in lookup:  # an empty match cell is an error, whatever it names
        lookup = {key: target for key, target in lookup.items() if key}
    outcome_of, amount_of, date_of = _readings(cells, template, today)
    return (
        map(lookup.get, columns[MATCH]),
        map(outcome_of.__getitem__, columns[STATUS]),
        map(amount_of.__getitem__, columns[AMOUNT]),
        map(date_of.__getitem__, columns[DATE]),
    )


def _readings(cells, template, today):
    """The outcome of each distinct status, and the amount and the date of
    each distinct amount and date cell (_BAD when not one)."""
    columns = cells.columns
    return readings_of(
        set(columns[STATUS]), set(columns[AMOUNT]), set(columns[DATE]), template, today
    )


def readings_of(statuses, amounts, dates, template, today):
    """({status: outcome or None}, {amount cell: Decimal, None or _BAD},
    {date cell: date, None or _BAD}) of the distinct stripped cells given."""
    status_map = template.status_map
    places = template.decimal_places
    return (
        {text: status_map.get(text.lower()) for text in statuses},
        {text: _amount_or_bad(text, places) for text in amounts},
        {text: _date_or_bad(text, template.date_format, today) for text in dates},
    )


def clean_readings(statuses, amounts, dates, template, today):
    """readings_of the distinct cells given when every status maps to an
    outcome and every amount and date is valid, else None (a row then needs
    the row-by-row check, which says why)."""
    outcome_of, amount_of, date_of = readings_of(
        statuses, amounts, dates, template, today
    )
    if (
        not set(outcome_of.values()) <= set(OUTCOMES)
        or _BAD in amount_of.values()
        or _BAD in date_of.values()
    ):
        return None
    return outcome_of, amount_of, date_of


def template_columns(template):
    """The column names of ``template`` by position (MATCH, STATUS, AMOUNT,
    DATE, RECEIPT, REASON, then EXTRA...), "" where it names none."""
    return [
        template.match_column,
        template.status_column,
        template.amount_column,
        template.date_column,
        template.receipt_column,
        template.reason_column,
        *template.extra_columns,
    ]


class CopyPlan(NamedTuple):
    """A CSV reply for PostgreSQL's COPY to read (tables.copyable_csv), and
    where the template's columns are in it."""

    csv: object  # tables.CopyableCsv
    positions: list  # per template column (template_columns), its cell's index or None


def copy_plan(data, template, encoding="utf-8"):
    """The CopyPlan of the CSV reply ``data``, or None when COPY would not
    read it as read_table does or a template column is missing (read_table
    and the row-by-row check then say what is wrong)."""
    reply = tables.copyable_csv(data, encoding)
    if reply is None:
        return None
    header = Table("", reply.header, [])
    names = template_columns(template)
    positions = [header.index(name, required=False) if name else None for name in names]
    if any(name and at is None for name, at in zip(names, positions, strict=True)):
        return None
    return CopyPlan(reply, positions)


class CleanTable(NamedTuple):
    """A table every row of which reads cleanly, column by column: what a
    database can then match and store in bulk (see :func:`clean_table`)."""

    rows: list  # row numbers
    keys: list  # match values, distinct and non-empty
    outcomes: list  # "paid" | "failed"
    amounts: list  # Decimal (rounded) or None
    dates: list  # date or None
    receipts: list
    reasons: list
    extras: list  # per extra column, its cells


@without_cycle_collection
def clean_table(table, template, today):
    """The cells of ``table`` read column by column, when no row needs the
    row-by-row check: no formula-like cell, no empty or repeated match value,
    every status mapped to an outcome, every amount and date valid. Otherwise
    None: :class:`Validation` then explains each bad row. Whether each key
    names a payment the reply may settle, and what the line does to it
    (:func:`decided_line`), is for the caller to find out, in bulk."""
    cells = _Cells(table, template)
    keys = cells.columns[MATCH]
    if cells.risky or "" in keys or len(set(keys)) < len(keys):
        return None
    columns = cells.columns
    readings = clean_readings(
        set(columns[STATUS]), set(columns[AMOUNT]), set(columns[DATE]), template, today
    )
    if readings is None:
        return None
    outcome_of, amount_of, date_of = readings
    return CleanTable(
        [row_no for row_no, _cells in table.rows],
        keys,
        list(map(outcome_of.__getitem__, columns[STATUS])),
        list(map(amount_of.__getitem__, columns[AMOUNT])),
        list(map(date_of.__getitem__, columns[DATE])),
        columns[RECEIPT],
        columns[REASON],
        columns[EXTRA:],
    )


def decided_line(state, outcome, paid_amount, issued, template):
    """The Line (its outcome, paid amount and note) of a clean row reporting
    ``outcome`` and ``paid_amount`` (or None) for a payment in ``state``
    issued at ``issued`` in the FSP's currency, as :class:`Validation` decides
    it; None when that row is an error (paid above the tolerance). A million
    rows fall in a few such cases: each is decided once."""
    errors = []
    target = Target(0, 0, 0, issued, state)
    line = _decide(target, Line(0, 0, outcome, paid_amount), template, errors, None)
    return None if errors else line


def _amount_or_bad(text, decimal_places):
    if not text:
        return None
    amount = _parse_amount(text, decimal_places)
    return _BAD if isinstance(amount, str) else amount


def _date_or_bad(text, date_format, today):
    if not text:
        return None
    try:
        value = _parse_date(text, date_format)
    except ValueError:
        return _BAD
    return _BAD if value > today else value


class _Cells:
    """The template's columns of a table, read once per column: stripped
    values, and which of them a spreadsheet would run as a formula. A row
    without any such cell (nearly all of a million) is then read without a
    check per cell."""

    def __init__(self, table, template):
        self.names = template_columns(template)
        blank = [""] * len(table.rows)
        cells = [cells for _n, cells in table.rows]
        width = min(map(len, cells), default=0)
        self.columns = [
            _column(cells, table.index(name), width) if name else blank
            for name in self.names
        ]
        # A column the template does not name is blank: nothing to scan.
        self.formulas = [
            frozenset() if values is blank else _formulas(values)
            for values in self.columns
        ]
        self.risky = frozenset().union(*self.formulas)

    def rows(self):
        """One tuple of the template's cells per row, by position (MATCH...)."""
        return zip(*self.columns, strict=True)

    def check(self, position, index, row_no):
        """Refuse the cell of row ``index`` if a spreadsheet would run it."""
        if index in self.formulas[position]:
            value = self.columns[position][index]
            raise TableError(
                f"formula or formula-like cell {value[:20]!r} refused",
                None,
                row_no,
                self.names[position],
            )


def _column(cells, position, width):
    """The stripped cells at ``position`` of each row (``cells``: the rows'
    cell lists, the shortest ``width`` long), in C-speed passes when every
    row has the column."""
    if position < width:
        return list(map(str.strip, map(operator.itemgetter(position), cells)))
    return [row[position].strip() if position < len(row) else "" for row in cells]


# A stripped cell a spreadsheet may run starts with one of these (the other
# FORMULA_START characters are white space, stripped).
_FORMULA_LINE = re.compile(
    "^[" + re.escape("".join(_FORMULA_FIRST - {"\t", "\r"})) + "]", re.MULTILINE
)


def _formulas(values):
    """Positions of the formula-like cells among ``values``: one regular
    expression scan of the column finds that (nearly always) none starts
    like a formula; only then are its cells tested one by one."""
    if _FORMULA_LINE.search("\n".join(values)) is None:
        return frozenset()
    return frozenset(
        i
        for i, v in enumerate(values)
        if v[:1] in _FORMULA_FIRST and is_formula_like(v)
    )


def _error(table, row, column, message):
    return TableError(message, table.filename, row, column)


def _line(index, row_no, row, risky, cells, template, lookup, today):
    """(target, Line) for one row, or the row's first problem as TableError;
    the cells of a ``risky`` row are checked for formulas as they are read."""
    if risky:
        cells.check(MATCH, index, row_no)
    key = row[MATCH]
    if not key:
        raise TableError("empty", None, row_no, template.match_column)
    target = lookup.get(key)
    if target is None:
        raise TableError(
            f"unknown {key!r}: no such payment", None, row_no, template.match_column
        )
    if isinstance(target, list):
        raise TableError(
            f"{key!r} names {len(target)} payments; match on the payment reference",
            None,
            row_no,
            template.match_column,
        )
    if risky:
        cells.check(STATUS, index, row_no)
    status = row[STATUS]
    outcome = template.status_map.get(status.lower())
    if outcome not in OUTCOMES:
        known = ", ".join(sorted(template.status_map)) or "none configured"
        raise TableError(
            f"status {status!r} is not in the mapping ({known})",
            None,
            row_no,
            template.status_column,
        )
    if risky:
        cells.check(AMOUNT, index, row_no)
    paid_amount = _amount(row[AMOUNT], template, row_no)
    if risky:
        cells.check(DATE, index, row_no)
    paid_date = _date(row[DATE], template, row_no, today)
    if risky:
        for position in range(RECEIPT, len(row)):
            cells.check(position, index, row_no)
    line = Line(
        row_no, target.id, outcome, paid_amount, paid_date, row[RECEIPT], row[REASON]
    )
    for position, name in enumerate(template.extra_columns, start=EXTRA):
        line.extra[name] = row[position]
    return target, line


def _amount(text, template, row_no):
    if not text:
        return None
    amount = _parse_amount(text, template.decimal_places)
    if isinstance(amount, str):
        raise TableError(amount, None, row_no, template.amount_column)
    return amount


@functools.lru_cache(maxsize=65536)
def _parse_amount(text, decimal_places):
    """The amount in ``text``, rounded, or why it is not one. A reply of a
    million rows holds a few thousand distinct amounts."""
    if " " in text or "," in text:
        text = text.replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return f"{text!r} is not an amount"
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        return f"amount {text} is negative or implausibly large"
    return round_money(amount, decimal_places)


def _date(text, template, row_no, today):
    if not text:
        return None
    try:
        value = _parse_date(text, template.date_format)
    except ValueError as error:
        raise TableError(
            f"{text!r} is not a date in the format {template.date_format}",
            None,
            row_no,
            template.date_column,
        ) from error
    if value > today:
        raise TableError(
            f"date {text} is in the future", None, row_no, template.date_column
        )
    return value


@functools.lru_cache(maxsize=4096)
def _parse_date(text, date_format):
    # A reply has a million rows but a few dozen dates; strptime is slow.
    return datetime.strptime(text, date_format).date()


def _target_problem(target, payroll_id, program_id):
    if target.program_id != program_id:
        return "payment of another program"
    if payroll_id and target.payroll_id != payroll_id:
        return "payment of another payroll"
    return ""


def _decide(target, line, template, errors, filename):
    row_no = line.row
    if line.outcome == "paid" and target.state in NOT_PAYING_STATES:
        line.outcome = "double"
        line.note = f"suspected double payment (payment {target.state})"
        if line.paid_amount is None:
            line.paid_amount = _issued(target.amount, template.decimal_places)
        return line
    if target.state in FINAL_STATES:
        line.outcome, line.note = "skipped", f"already final ({target.state})"
        return line
    if line.outcome == "failed":
        line.paid_amount = None
        return line
    issued = _issued(target.amount, template.decimal_places)
    if line.paid_amount is None:
        line.paid_amount = issued
    if line.paid_amount > issued + template.tolerance:
        errors.append(
            TableError(
                f"paid {line.paid_amount} is more than issued {issued} "
                f"plus the tolerance {template.tolerance}",
                filename,
                row_no,
                template.amount_column,
            )
        )
    elif line.paid_amount < issued:
        line.outcome = "partial"
    return line


@functools.lru_cache(maxsize=65536)
def _issued(amount, decimal_places):
    return round_money(amount, decimal_places)


class Tally:
    """Line counts per outcome and the total paid, added up chunk by chunk
    (or group by group of equal lines)."""

    def __init__(self):
        self.counts = dict.fromkeys(
            ("paid", "partial", "failed", "skipped", "double"), 0
        )
        self.paid_total = Decimal(0)

    def add(self, lines):
        counts = self.counts
        for line in lines:
            counts[line.outcome] += 1
            if line.outcome in ("paid", "partial"):
                self.paid_total += line.paid_amount

    def add_alike(self, outcome, paid_amount, count):
        """``count`` lines of ``outcome``, each paid ``paid_amount``."""
        self.counts[outcome] += count
        if outcome in ("paid", "partial"):
            self.paid_total += paid_amount * count

    def summary(self, errors):
        counts = self.counts
        not_found = sum("no such payment" in error.message for error in errors)
        return {
            "rows": sum(counts.values()) + len(errors),
            "paid": counts["paid"],
            "partial": counts["partial"],
            "failed": counts["failed"],
            "already_final": counts["skipped"],
            "suspected_double": counts["double"],
            "not_found": not_found,
            "errors": len(errors),
            "paid_total": str(self.paid_total),
        }
