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
from .tables import Table, TableError, is_formula_like

# A payment in one of these states has its outcome; a reply cannot change it.
FINAL_STATES = frozenset({PAID, FAILED, REJECTED, REVERSED, CANCELLED})
OUTCOMES = ("paid", "failed")
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
    columns = _columns(table, template)
    lines, errors, seen = [], [], {}
    for row_no, cells in table.rows:
        try:
            line = _line(row_no, cells, columns, template, lookup, today)
        except TableError as error:
            error.filename = table.filename
            errors.append(error)
            continue
        target = line.pop("target")
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
        lines.append(_decide(row_no, target, line, template, errors, table))
    return Result(lines, errors, _summary(lines, errors))


def _columns(table, template):
    columns = {
        "match": table.index(template.match_column),
        "status": table.index(template.status_column),
    }
    for key in ("amount", "date", "receipt", "reason"):
        name = getattr(template, f"{key}_column")
        columns[key] = table.index(name) if name else None
    columns["extra"] = {name: table.index(name) for name in template.extra_columns}
    return columns


def _error(table, row, column, message):
    return TableError(message, table.filename, row, column)


def _cell(cells, position, row_no, column_name):
    if position is None:
        return ""
    value = cells[position].strip() if position < len(cells) else ""
    if is_formula_like(value):
        raise TableError(
            f"formula or formula-like cell {value[:20]!r} refused",
            None,
            row_no,
            column_name,
        )
    return value


def _line(row_no, cells, columns, template, lookup, today):
    key = _cell(cells, columns["match"], row_no, template.match_column)
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
    status = _cell(cells, columns["status"], row_no, template.status_column)
    outcome = template.status_map.get(status.lower())
    if outcome not in OUTCOMES:
        known = ", ".join(sorted(template.status_map)) or "none configured"
        raise TableError(
            f"status {status!r} is not in the mapping ({known})",
            None,
            row_no,
            template.status_column,
        )
    return {
        "target": target,
        "outcome": outcome,
        "paid_amount": _amount(cells, columns, template, row_no),
        "paid_date": _date(cells, columns, template, row_no, today),
        "receipt": _cell(cells, columns["receipt"], row_no, template.receipt_column),
        "reason": _cell(cells, columns["reason"], row_no, template.reason_column),
        "extra": {
            name: _cell(cells, position, row_no, name)
            for name, position in columns["extra"].items()
        },
    }


def _amount(cells, columns, template, row_no):
    text = _cell(cells, columns["amount"], row_no, template.amount_column)
    if not text:
        return None
    if " " in text or "," in text:
        text = text.replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise TableError(
            f"{text!r} is not an amount", None, row_no, template.amount_column
        ) from error
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise TableError(
            f"amount {text} is negative or implausibly large",
            None,
            row_no,
            template.amount_column,
        )
    return round_money(amount, template.decimal_places)


def _date(cells, columns, template, row_no, today):
    text = _cell(cells, columns["date"], row_no, template.date_column)
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


def _decide(row_no, target, values, template, errors, table):
    line = Line(row=row_no, payment_id=target.id, **values)
    if target.state in FINAL_STATES:
        line.outcome, line.note = "skipped", f"already final ({target.state})"
        return line
    if line.outcome == "failed":
        line.paid_amount = None
        return line
    issued = round_money(target.amount, template.decimal_places)
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
