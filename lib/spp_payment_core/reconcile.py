# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Validation of an FSP's reply file against the payments it answers.

Pure function over rows: every bad row is reported with its row number, column
and reason, and a summary says what accepting the file would do. Nothing here
writes anything; the caller applies the lines only when there is no error.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from .money import round_money
from .states import CANCELLED, FAILED, PAID, REJECTED, REVERSED
from .tables import FORMULA_START, Table, TableError, is_formula_like

# A payment in one of these states has its outcome; a reply cannot change it.
FINAL_STATES = frozenset({PAID, FAILED, REJECTED, REVERSED, CANCELLED})
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


def validate(table: Table, template: Template, lookup, payroll_id, program_id, today):
    """Check every row of ``table``; ``lookup`` maps a match value to its
    :class:`Target` (or to a list of them when the value is ambiguous)."""
    cells = _Cells(table, template)
    lines, errors, seen = [], [], {}
    for index, (row_no, _row) in enumerate(table.rows):
        try:
            target, line = _line(index, row_no, cells, template, lookup, today)
        except TableError as error:
            error.filename = table.filename
            errors.append(error)
            continue
        problem = _target_problem(target, payroll_id, program_id)
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
        lines.append(_decide(target, line, template, errors, table))
    return Result(lines, errors, _summary(lines, errors))


class _Cells:
    """The template's columns of a table, read once per column: stripped
    values, and which of them a spreadsheet would run as a formula (a million
    rows are checked cell by cell otherwise)."""

    def __init__(self, table, template):
        self.columns = {
            "match": template.match_column,
            "status": template.status_column,
        }
        for key in ("amount", "date", "receipt", "reason"):
            name = getattr(template, f"{key}_column")
            if name:
                self.columns[key] = name
        self.extra = tuple(template.extra_columns)
        self.columns.update((name, name) for name in self.extra)
        self.values, self.formulas = {}, {}
        for key, name in self.columns.items():
            values = _column(table.rows, table.index(name))
            self.values[key] = values
            self.formulas[key] = frozenset(
                i
                for i, v in enumerate(values)
                if v[:1] in _FORMULA_FIRST and is_formula_like(v)
            )

    def get(self, key, index, row_no):
        """The cell of column ``key`` in row ``index``; a formula is refused."""
        values = self.values.get(key)
        if values is None:
            return ""
        if index in self.formulas[key]:
            value = values[index]
            raise TableError(
                f"formula or formula-like cell {value[:20]!r} refused",
                None,
                row_no,
                self.columns[key],
            )
        return values[index]


def _column(rows, position):
    return [
        cells[position].strip() if position < len(cells) else "" for _n, cells in rows
    ]


def _error(table, row, column, message):
    return TableError(message, table.filename, row, column)


def _line(index, row_no, cells, template, lookup, today):
    """(target, Line) for one row, or the row's first problem as TableError."""
    key = cells.get("match", index, row_no)
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
    status = cells.get("status", index, row_no)
    outcome = template.status_map.get(status.lower())
    if outcome not in OUTCOMES:
        known = ", ".join(sorted(template.status_map)) or "none configured"
        raise TableError(
            f"status {status!r} is not in the mapping ({known})",
            None,
            row_no,
            template.status_column,
        )
    line = Line(
        row=row_no,
        payment_id=target.id,
        outcome=outcome,
        paid_amount=_amount(cells.get("amount", index, row_no), template, row_no),
        paid_date=_date(cells.get("date", index, row_no), template, row_no, today),
        receipt=cells.get("receipt", index, row_no),
        reason=cells.get("reason", index, row_no),
    )
    for name in cells.extra:
        line.extra[name] = cells.get(name, index, row_no)
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


def _decide(target, line, template, errors, table):
    row_no = line.row
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
            _error(
                table,
                row_no,
                template.amount_column,
                f"paid {line.paid_amount} is more than issued {issued} "
                f"plus the tolerance {template.tolerance}",
            )
        )
    elif line.paid_amount < issued:
        line.outcome = "partial"
    return line


@functools.lru_cache(maxsize=65536)
def _issued(amount, decimal_places):
    return round_money(amount, decimal_places)


def _summary(lines, errors):
    counts = dict.fromkeys(("paid", "partial", "failed", "skipped"), 0)
    paid_total = Decimal(0)
    for line in lines:
        counts[line.outcome] += 1
        if line.outcome in ("paid", "partial"):
            paid_total += line.paid_amount
    not_found = sum("no such payment" in error.message for error in errors)
    return {
        "rows": len(lines) + len(errors),
        "paid": counts["paid"],
        "partial": counts["partial"],
        "failed": counts["failed"],
        "already_final": counts["skipped"],
        "not_found": not_found,
        "errors": len(errors),
        "paid_total": str(paid_total),
    }
